"""One log line per CRI call serve-cri answers, at the default level.

``CallLog`` is a gRPC server interceptor: it times every call, including the
ones serve-cri does not implement, and writes one line when the call ends::

    PullImage image=127.0.0.1:5000/models/llm:v1 outcome=pulled store=/var/lib/x/artifacts ms=42
    RemoveImage image=... outcome=nothing-removed reason="held by read-only store /mnt/models/artifacts ..." ms=3
    RuntimeService/Exec outcome=UNIMPLEMENTED ms=0

A handler adds what only it knows (the reference, the outcome, the store
that answered) with ``note(...)`` while it runs; the interceptor adds the
gRPC code of a failed call and its message. A call serve-cri does not
implement is answered UNIMPLEMENTED with a message that says what it does
serve. Lines go to the ``CALL_LOGGER`` logger at INFO; serve-cri routes that
logger to stderr whatever ``-v`` says.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

CALL_LOGGER = "artifact_conformance.simulator.cri_calls"
log = logging.getLogger(CALL_LOGGER)

_current = threading.local()  # the running call's fields; gRPC runs each call on one worker thread


def note(**fields: Any) -> None:
    """Add fields to the running call's log line (no-op outside a call)."""
    current = getattr(_current, "fields", None)
    if current is not None:
        current.update({k: v for k, v in fields.items() if v is not None})


def unimplemented_message(method: str) -> str:
    return (f"serve-cri does not implement {method}: it serves the reference artifact store's ImageService, "
            "and RuntimeService's Version, Status, and pods and containers as records for image volumes "
            "(it runs no process)")


def short_method(full: str) -> str:
    """``/runtime.v1.ImageService/PullImage`` -> ``PullImage``; other services keep theirs."""
    service, _, name = full.lstrip("/").rpartition("/")
    return name if service.endswith("ImageService") else f"{service.rpartition('.')[2]}/{name}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def format_line(method: str, fields: dict[str, Any], millis: float) -> str:
    parts = [method]
    for key, value in fields.items():
        text = str(value)
        parts.append(f"{key}={text}" if text and not any(c in text for c in ' "=') else f'{key}="{_quoted(text)}"')
    parts.append(f"ms={millis:.0f}" if millis >= 10 else f"ms={millis:.1f}")
    return " ".join(parts)


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


class CallLog(grpc.ServerInterceptor):
    def intercept_service(self, continuation: Callable, details: grpc.HandlerCallDetails):
        method = short_method(details.method)
        handler = continuation(details)
        if handler is None:  # a service serve-cri does not register at all
            log.info("%s", format_line(method, {"outcome": "UNIMPLEMENTED"}, 0.0))
            return grpc.unary_unary_rpc_method_handler(lambda _request, context: context.abort(
                grpc.StatusCode.UNIMPLEMENTED, unimplemented_message(method)))
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        return handler  # client- and bidi-streaming calls: CRI has none serve-cri answers

    def _wrap(self, method: str, behaviour: Callable) -> Callable:
        def call(request, context: grpc.ServicerContext):
            started, fields = self._begin()
            try:
                response = behaviour(request, context)
            except BaseException as error:
                self._end(method, started, fields, context, error)
                raise
            self._end(method, started, fields, context, None)
            return response
        return call

    def _wrap_stream(self, method: str, behaviour: Callable) -> Callable:
        def call(request, context: grpc.ServicerContext) -> Iterator:
            started, fields = self._begin()
            try:
                yield from behaviour(request, context)
            except BaseException as error:
                self._end(method, started, fields, context, error)
                raise
            self._end(method, started, fields, context, None)
        return call

    @staticmethod
    def _begin() -> tuple[float, dict[str, Any]]:
        fields: dict[str, Any] = {}
        _current.fields = fields
        return time.perf_counter(), fields

    @staticmethod
    def _end(method: str, started: float, fields: dict[str, Any], context: grpc.ServicerContext,
             error: BaseException | None) -> None:
        _current.fields = None
        millis = (time.perf_counter() - started) * 1000
        if isinstance(error, NotImplementedError):  # the generated base servicer's answer
            log.info("%s", format_line(method, {"outcome": "UNIMPLEMENTED"}, millis))
            context.abort(grpc.StatusCode.UNIMPLEMENTED, unimplemented_message(method))  # raises
        if error is not None:
            code = context.code() if hasattr(context, "code") else None
            fields.pop("outcome", None)
            fields["outcome"] = code.name if isinstance(code, grpc.StatusCode) else "INTERNAL"
            details = context.details() if hasattr(context, "details") else None
            if details:
                fields["error"] = details.decode() if isinstance(details, bytes) else str(details)
        fields.setdefault("outcome", "ok")
        log.info("%s", format_line(method, fields, millis))
