"""Registry failures in one plain sentence: which registry, what happened, what to do.

The HTTP client (requests, urllib3, ssl) reports a failed connection as a
chain of exceptions whose text (``HTTPSConnectionPool(host=...): Max retries
exceeded ... [Errno 111]``) tells a person little. ``connection_failure``
reads the chain and names what happened instead: the registry refused the
connection, did not accept one in time, made no progress, spoke plain HTTP to
an HTTPS request (it needs an ``insecure_registries`` entry), presented a
certificate this node does not trust, has a name that does not resolve, or
closed the connection. ``status_failure`` does the same for an error answer:
the status, the registry's own error code and message, and what to do. The
full chain goes to the debug log (``-v``); the sentence is the error's text,
which the CLI, serve-cri's gRPC status and the suite all show unchanged.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl

import requests

from .errors import NotFoundError, RegistryAccessError, RegistryError, causes, chain_text

__all__ = ["causes", "chain_text", "connection_failure", "cut_failure", "refused", "status_failure"]

INSECURE_HINT = "add it to [crio.image] insecure_registries"
# OpenSSL's reasons when the other end answers a ClientHello with plain HTTP.
PLAIN_HTTP_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST")


def refused(error: BaseException) -> bool:
    """The connection was refused: nothing reached the registry, so trying again is safe."""
    return any(isinstance(e, ConnectionRefusedError) for e in causes(error))


def connection_failure(host: str, what: str, error: requests.RequestException, timeout: tuple[float, float],
                       attempts: int = 1) -> RegistryError:
    """The error for a request to ``host`` (for ``what``) that got no answer."""
    chain = list(causes(error))
    tried = f" (tried {attempts} times)" if attempts > 1 else ""
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or cause.reason or "certificate verify failed"
            return RegistryError(f"registry {host} presented a TLS certificate this node does not trust ({detail}) "
                                 f"for {what}: install its CA certificate on the node, or, for a test registry, "
                                 f"{INSECURE_HINT}")
        if isinstance(cause, ssl.SSLError):
            reason = cause.reason or ""
            if reason in PLAIN_HTTP_REASONS or "wrong version number" in str(cause).lower():
                return RegistryError(f"registry {host} answered plain HTTP to an HTTPS request for {what}: "
                                     f"{INSECURE_HINT}")
            return RegistryError(f"TLS with registry {host} failed ({reason or 'handshake failed'}) for {what}: "
                                 f"check that {host} serves HTTPS, or {INSECURE_HINT} if it serves plain HTTP")
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return RegistryError(f"registry {host} refused the connection{tried} for {what}: nothing listens there; "
                             "check the address and that the registry is running")
    if any(isinstance(e, socket.gaierror) for e in chain):
        return RegistryError(f"registry host name {host.rpartition(':')[0] or host} does not resolve for {what}: "
                             "check the name and this node's DNS")
    if isinstance(error, requests.ConnectTimeout):
        return RegistryError(f"registry {host} did not accept a connection within {timeout[0]:g} s for {what}: "
                             "check the address, the network and that the registry is running")
    if isinstance(error, requests.Timeout):
        return RegistryError(f"registry {host} made no progress for {timeout[1]:g} s on {what}: the pull was "
                             "given up; check the registry, or raise [crio.image] pull_progress_timeout")
    if any(isinstance(e, (ConnectionResetError, http.client.RemoteDisconnected, ConnectionAbortedError))
           for e in chain):
        return RegistryError(f"registry {host} closed the connection before answering for {what}: "
                             "try again; if it persists, check the registry's logs")
    strerror = next((e.strerror for e in chain if isinstance(e, OSError) and e.strerror), None)
    return RegistryError(f"the connection to registry {host} failed{f' ({strerror})' if strerror else ''} "
                         f"for {what}: check the address, the network and that the registry is running")


def cut_failure(host: str, what: str, received: int) -> RegistryError:
    return RegistryError(f"registry {host} cut the connection in the middle of {what} after {received} bytes: "
                         "nothing was kept; try the pull again")


def error_codes(body: bytes) -> str:
    """The registry's own error codes and messages (distribution's ``errors`` list), or ""."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
    except (ValueError, AttributeError, RecursionError):
        return ""
    if not isinstance(errors, list):
        return ""
    parts = []
    for e in errors[:3]:
        if isinstance(e, dict) and e.get("code"):
            message = " ".join(str(e.get("message") or "").split())
            parts.append(f"{e['code']} ({message})" if message else str(e["code"]))
    return ", ".join(parts)


def status_failure(host: str, what: str, status: int, reason: str, body: bytes) -> RegistryError:
    """The error for an answer other than 200 from ``host`` for ``what``."""
    codes = error_codes(body)
    answered = f"{status} {codes or reason}".rstrip()
    if status == 404:
        return NotFoundError(f"{what} not found at the registry {host}: it answered {answered}; "
                             "check the repository name and the tag or digest")
    if status == 401:
        return RegistryAccessError(f"registry {host} denied access to {what}: it answered {answered}; give "
                                   "credentials for it in [crio.image] global_auth_file or with the pull")
    if status == 403:
        return RegistryAccessError(f"registry {host} denied access to {what}: it answered {answered}; the "
                                   "credentials have no permission for this repository")
    if status == 429:
        return RegistryError(f"registry {host} is limiting requests and refused {what}: it answered {answered}; "
                             "try again later")
    if status >= 500:
        return RegistryError(f"registry {host} failed to serve {what}: it answered {answered}; the registry has "
                             "a problem: try again later, or check its logs")
    return RegistryError(f"registry {host} refused the request for {what}: it answered {answered}")
