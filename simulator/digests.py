"""sha256 digests: parsing, and hashing of streams and files without holding them in memory."""

from __future__ import annotations

import hashlib
import re
from typing import BinaryIO

from .errors import DigestMismatchError, InvalidReferenceError

SHA256_HEX = re.compile(r"[a-f0-9]{64}")  # use fullmatch: "$" accepts a trailing newline
CHUNK = 1 << 20


def parse_digest(digest: str) -> str:
    """Return the hex of a ``sha256:<hex>`` digest, or raise naming it."""
    algorithm, _, hex_ = digest.partition(":")
    if algorithm != "sha256" or not SHA256_HEX.fullmatch(hex_):
        raise InvalidReferenceError(f"unsupported or malformed digest {digest!r}: expected sha256:<64 hex>")
    return hex_


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_stream(source: BinaryIO) -> str:
    h = hashlib.sha256()
    while chunk := source.read(CHUNK):
        h.update(chunk)
    return "sha256:" + h.hexdigest()


def copy_verified(source: BinaryIO, target: BinaryIO, digest: str, size: int | None, what: str) -> int:
    """Stream ``source`` to ``target`` while hashing; raise if digest or size differ."""
    h = hashlib.sha256()
    written = 0
    while chunk := source.read(CHUNK):
        h.update(chunk)
        target.write(chunk)
        written += len(chunk)
        if size is not None and written > size:
            raise DigestMismatchError(f"{what}: more than the {size} bytes its descriptor declares")
    actual = "sha256:" + h.hexdigest()
    if size is not None and written != size:
        raise DigestMismatchError(f"{what}: got {written} bytes, descriptor declares {size}")
    if actual != digest:
        raise DigestMismatchError(f"{what}: content has digest {actual}, expected {digest}")
    return written
