"""MD5, SHA-1 and SHA-256 of a file in one streaming pass.

One read feeds all three digests, so a 40 GB disk image is read once, in fixed-size chunks, never whole.
``hashlib`` releases the GIL for large updates, so threads hashing different files do run in parallel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from netsafe.signals.types import CRYPTO_SIGNALS

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CryptoDigests:
    size: int
    digests: dict[str, str]


def _new(names: Iterable[str]) -> dict[str, hashlib._Hash]:
    return {name: hashlib.new(name, usedforsecurity=False) for name in names}


def digest_stream(
    stream: BinaryIO, names: Iterable[str] = CRYPTO_SIGNALS, *, first: bytes = b""
) -> CryptoDigests:
    """Hash everything left in ``stream`` (after ``first``, bytes already read from it)."""
    hashers = _new(names)
    size = len(first)
    if first:
        for h in hashers.values():
            h.update(first)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        n = stream.readinto(view)  # type: ignore[attr-defined]
        if not n:
            break
        size += n
        chunk = view[:n]
        for h in hashers.values():
            h.update(chunk)
    return CryptoDigests(size=size, digests={k: h.hexdigest() for k, h in hashers.items()})


def digest_bytes(data: bytes, names: Iterable[str] = CRYPTO_SIGNALS) -> CryptoDigests:
    hashers = _new(names)
    for h in hashers.values():
        h.update(data)
    return CryptoDigests(size=len(data), digests={k: h.hexdigest() for k, h in hashers.items()})
