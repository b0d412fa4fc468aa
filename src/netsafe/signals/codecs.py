"""Conversions between the textual and binary forms of hashes, and Hamming distance.

PDQ hashes travel as 64 lowercase hex characters (256 bits, most significant bit first), the form Meta's
reference tools print. Internally they are 32 bytes, or four little-endian ``uint64`` words when many must be
compared at once (numpy's popcount over words is what makes brute force and the index fast).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from netsafe.errors import InvalidInput

if TYPE_CHECKING:
    # numpy is imported by the functions that use it: parsing and checking a hex hash (every hash list,
    # every `--help`) must not pay its 0.1 s import.
    import numpy as np
    import numpy.typing as npt

PDQ_HEX_LEN = 64
PDQ_BITS = 256

_HEX_RE = re.compile(r"[0-9a-fA-F]+")

# Hex length of each cryptographic/perceptual signal as lists carry them.
HEX_LENGTHS: dict[str, int] = {
    "md5": 32,
    "sha1": 40,
    "sha256": 64,
    "pdq": 64,
    "photodna": 288,
}


class HashFormatError(InvalidInput, ValueError):
    """A hash string that is not valid for its signal type."""


def normalise_hex(value: str, signal: str) -> str:
    """Return ``value`` as lowercase hex after checking its alphabet and its length for ``signal``.

    Raises :class:`HashFormatError` with a message naming the signal and what was wrong.
    """
    text = value.strip()
    expected = HEX_LENGTHS.get(signal)
    if not text or not _HEX_RE.fullmatch(text):
        raise HashFormatError(f"{signal}: not a hexadecimal string: {_clip(text)!r}")
    if expected is not None and len(text) != expected:
        raise HashFormatError(
            f"{signal}: expected {expected} hex characters, got {len(text)}: {_clip(text)!r}"
        )
    return text.lower()


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def bits_to_hex(bits: npt.NDArray[np.generic]) -> str:
    """Pack a 256-element 0/1 vector (``pdqhash``'s output) into 64 hex characters, MSB first."""
    import numpy as np

    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hex_to_bytes(pdq_hex: str) -> bytes:
    return bytes.fromhex(normalise_hex(pdq_hex, "pdq"))


def hamming_hex(a: str, b: str) -> int:
    """Hamming distance between two equal-length hex hashes."""
    if len(a) != len(b):
        raise HashFormatError(f"cannot compare hashes of different lengths ({len(a)} and {len(b)})")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def hex_to_words(hexes: list[str]) -> npt.NDArray[np.uint64]:
    """Pack PDQ hex strings into an (n, 4) uint64 array for vectorised Hamming distance."""
    import numpy as np

    if not hexes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = b"".join(hex_to_bytes(h) for h in hexes)
    return np.frombuffer(raw, dtype="<u8").reshape(-1, 4).copy()


def words_to_hex(words: npt.NDArray[np.uint64]) -> list[str]:
    import numpy as np

    data = np.ascontiguousarray(words, dtype="<u8").tobytes()
    return [data[i : i + 32].hex() for i in range(0, len(data), 32)]


def hamming_words(query: npt.NDArray[np.uint64], table: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Distances from one (4,) query to every row of an (n, 4) table."""
    import numpy as np

    x = np.bitwise_xor(table, query[np.newaxis, :])
    distances: npt.NDArray[np.int64] = np.bitwise_count(x).sum(axis=1, dtype=np.int64)
    return distances
