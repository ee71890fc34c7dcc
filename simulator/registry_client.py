"""Talking to a registry over HTTP(S), through oras-py's ``Registry`` client.

oras-py builds the URLs and runs the bearer-token dance; this module adds what
a store needs on top: the manifest's exact bytes (so digests are preserved),
blobs streamed to disk with their digests verified, basic auth for registries
that challenge with ``Basic``, failures in plain words (``registry_failures``),
and one bounded retry rule instead of oras-py's (which sleeps up to minutes on
a 500; a pull should fail fast and say why): a connection the registry
*refuses* is tried again, ``CONNECT_RETRY_DELAYS`` apart (0.2 s, then 0.6 s:
a registry that is restarting), because nothing reached the registry. Nothing
else is retried: an error answer, a stall or a cut connection fails the pull
at once, and the request counts the suite observes stay exact.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import oras.auth
import oras.provider
import requests

from . import mediatypes as mt
from . import registry_failures as failures
from .digests import copy_verified, parse_digest, sha256_bytes
from .errors import ConfigError, DigestMismatchError, RegistryError
from .layout import MANIFEST_TOKENS_MAX, load_json_bounded
from .reference import Reference

log = logging.getLogger(__name__)

MANIFEST_MAX = 4 << 20
TIMEOUT = (10, 60)  # connect, read: a stalled registry fails the pull instead of hanging it
CONNECT_RETRY_DELAYS = (0.2, 0.6)  # seconds before each new try of a refused connection


def timeouts(progress_timeout: float | None) -> tuple[float, float]:
    """(connect, read) timeouts for requests. The read timeout is the longest wait
    for the next byte: CRI-O's ``pull_progress_timeout`` when set, else TIMEOUT."""
    if not progress_timeout:
        return TIMEOUT
    return (min(TIMEOUT[0], progress_timeout), progress_timeout)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class _Registry(oras.provider.Registry):
    """oras-py's client with one request per call and Basic challenges answered."""

    def __init__(self, hostname: str, insecure: bool, credentials: Credentials | None,
                 timeout: tuple[float, float] = TIMEOUT):
        super().__init__(hostname=hostname, insecure=insecure, auth_backend="token")
        self.credentials = credentials
        self.timeout = timeout
        if credentials:
            self.auth.set_basic_auth(credentials.username, credentials.password)

    def do_request(self, url, method="GET", data=None, headers=None, json=None, stream=False):  # noqa: A002
        headers = dict(headers or {})
        if isinstance(self.auth, oras.auth.TokenAuth) and self.auth.token is not None:
            headers.update(self.auth.get_auth_header())
        response = self._send(method, url, headers, stream)
        if response.status_code != 401:
            return response
        challenge = response.headers.get("Www-Authenticate", "")
        if challenge.lower().startswith("basic"):
            if not self.credentials:
                return response
            token = base64.b64encode(f"{self.credentials.username}:{self.credentials.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        else:
            headers, changed = self.auth.authenticate_request(response, headers)
            if not changed:
                return response
        response.close()
        return self._send(method, url, headers, stream)

    def _send(self, method, url, headers, stream):
        """One request; a refused connection is tried again (CONNECT_RETRY_DELAYS).
        Other failures propagate at once; ``attempts`` on the error says how many were made."""
        for attempt, delay in enumerate((*CONNECT_RETRY_DELAYS, None), start=1):
            try:
                return self.session.request(method, url, headers=headers, stream=stream, timeout=self.timeout,
                                            verify=self._tls_verify)
            except requests.RequestException as e:
                log.debug("%s %s: attempt %d failed: %s", method, url, attempt, failures.chain_text(e))
                if delay is None or not failures.refused(e):
                    e.attempts = attempt
                    raise
                time.sleep(delay)
        raise AssertionError("unreachable")


class RegistryClient:
    """Fetches manifests and blobs for the store, one registry connection pool per host."""

    def __init__(self, insecure_registries: tuple[str, ...] = (), auth_file: Path | None = None,
                 progress_timeout: float | None = None):
        self.insecure_registries = {h.lower() for h in insecure_registries}
        self.auth_file = auth_file
        self.timeout = timeouts(progress_timeout)
        self._clients: dict[str, _Registry] = {}
        self._lock = threading.Lock()

    def _client(self, domain: str, credentials: Credentials | None = None) -> _Registry:
        key = domain.lower()
        if credentials is not None:
            return _Registry(domain, key in self.insecure_registries, credentials, self.timeout)
        with self._lock:  # concurrent pulls share one client (and its connection pool) per host
            if key not in self._clients:
                self._clients[key] = _Registry(domain, key in self.insecure_registries,
                                               self._stored_credentials(domain), self.timeout)
            return self._clients[key]

    def _stored_credentials(self, domain: str) -> Credentials | None:
        if not self.auth_file:
            return None
        where = f"global_auth_file {str(self.auth_file)!r}"
        try:
            auths = json.loads(Path(self.auth_file).read_text()).get("auths", {})
        except OSError as e:
            raise ConfigError(f"{where} cannot be read: {e.strerror or 'read failed'}") from e
        except (ValueError, AttributeError) as e:
            raise ConfigError(f"{where} is not a JSON object like docker's config.json ({{\"auths\": ...}})") from e
        entry = auths.get(domain) or auths.get(f"https://{domain}") or auths.get(f"http://{domain}")
        if not isinstance(entry, dict) or not entry.get("auth"):
            return None
        try:
            user, _, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
        except (ValueError, TypeError) as e:  # binascii.Error and UnicodeDecodeError are ValueErrors
            raise ConfigError(f"{where}: the \"auth\" entry for {domain} is not base64 of user:password") from e
        return Credentials(user, password)

    def fetch_manifest(self, ref: Reference, reference: str | None = None,
                       credentials: Credentials | None = None) -> tuple[bytes, str, str]:
        """The manifest (or index) bytes exactly as served, its media type and digest.

        ``reference`` overrides the tag or digest to fetch (for an index's instance).
        """
        client = self._client(ref.domain, credentials)
        target = reference or ref.digest or ref.tag
        url = f"{client.prefix}://{ref.domain}/v2/{ref.path}/manifests/{target}"
        what = f"manifest {ref.repository}:{target}" if ":" not in target else f"manifest {ref.repository}@{target}"
        response = self._get(client, ref.domain, url, what, {"Accept": ", ".join(mt.ACCEPTED_MANIFEST_TYPES)})
        with response:
            self._check(response, ref.domain, what)
            data = response.raw.read(MANIFEST_MAX + 1, decode_content=True)
        if len(data) > MANIFEST_MAX:
            raise RegistryError(f"manifest {ref} from {url} is larger than {MANIFEST_MAX} bytes")
        digest = sha256_bytes(data)
        if target.startswith("sha256:") and digest != target:
            raise DigestMismatchError(f"manifest {ref.repository}@{target}: registry served content with digest {digest}")
        served_digest = response.headers.get("Docker-Content-Digest")
        if served_digest and served_digest != digest:
            log.warning("%s: Docker-Content-Digest %s differs from the content's %s", url, served_digest, digest)
        try:
            document = load_json_bounded(data, MANIFEST_TOKENS_MAX, f"manifest {ref}")
        except ValueError as e:
            raise RegistryError(f"manifest {ref} from {url} is not valid JSON: {e}") from e
        if not isinstance(document, dict):
            raise RegistryError(f"manifest {ref} from {url} is not a JSON object")
        media_type = mt.media_type_of(document, response.headers.get("Content-Type", "").split(";")[0].strip())
        return data, media_type, digest

    def fetch_blob(self, ref: Reference, descriptor: dict, target: Path, credentials: Credentials | None = None) -> int:
        """Stream one blob to ``target``, verifying its size and digest as it arrives."""
        digest = descriptor["digest"]
        parse_digest(digest)
        client = self._client(ref.domain, credentials)
        url = f"{client.prefix}://{ref.domain}/v2/{ref.path}/blobs/{digest}"
        what = f"blob {digest} of {ref.repository}"
        response = self._get(client, ref.domain, url, what)
        with response:
            self._check(response, ref.domain, what)
            with open(target, "wb") as f:
                written = copy_verified(_RawReader(response, ref.domain, what, self.timeout), f, digest,
                                        descriptor.get("size"), what)
                f.flush()
                os.fsync(f.fileno())
        return written

    def _get(self, client: _Registry, host: str, url: str, what: str,
             headers: dict[str, str] | None = None) -> requests.Response:
        """GET ``url`` (streamed); a failed connection becomes one plain sentence."""
        try:
            return client.do_request(url, "GET", headers=headers, stream=True)
        except requests.RequestException as e:
            error = failures.connection_failure(host, what, e, self.timeout, getattr(e, "attempts", 1))
            log.debug("GET %s: %s (%s)", url, error, failures.chain_text(e))
            raise error from e

    @staticmethod
    def _check(response: requests.Response, host: str, what: str) -> None:
        if response.status_code == 200:
            return
        try:
            body = response.raw.read(65536, decode_content=True) or b""
        except (requests.RequestException, OSError, ValueError):
            body = b""
        error = failures.status_failure(host, what, response.status_code, response.reason or "", body)
        log.debug("GET %s: %s", response.url, error)
        raise error


class _RawReader:
    """A file-like view of a streamed response that reports cut connections as errors."""

    def __init__(self, response: requests.Response, host: str, what: str, timeout: tuple[float, float]):
        self._chunks = response.iter_content(chunk_size=1 << 20)
        self._host, self._what, self._timeout = host, what, timeout
        self._received = 0

    def read(self, _size: int = -1) -> bytes:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            return b""
        except requests.Timeout as e:
            log.debug("%s: %s", self._what, failures.chain_text(e))
            raise failures.connection_failure(self._host, self._what, e, self._timeout) from e
        except (requests.RequestException, ConnectionError) as e:
            log.debug("%s: %s", self._what, failures.chain_text(e))
            raise failures.cut_failure(self._host, self._what, self._received) from e
        self._received += len(chunk)
        return chunk
