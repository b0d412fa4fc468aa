"""Zips whose names claim UTF-8 (flag bit 11) but are not: readable anyway, names kept as bytes.

zipfile decodes such a name strictly and gives up on the whole archive, so one odd name would hide every
other member. :func:`without_false_utf8_flags` presents the same bytes with bit 11 cleared in the
central-directory and local headers of exactly those entries (found by walking the central directory,
never by searching for signatures, so member data is never touched); zipfile then reads their names as
raw bytes, which :func:`netsafe.media.archives` keeps exactly.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from netsafe.media.sniff import find_zip_end

_UTF8_FLAG = 0x800
_CD_ENTRY = struct.Struct("<4s4xH18xHHH8xI")  # signature, flags, name/extra/comment lengths, local offset
_LOCAL = struct.Struct("<4s2xH")  # signature, flags
# A central directory larger than this is not patched (the archive is reported unreadable as before).
MAX_CENTRAL_DIRECTORY = 64 << 20


class _Patched:
    """A read-only view of ``inner`` with a few 2-byte fields replaced (offset -> bytes)."""

    def __init__(self, inner: BinaryIO, patches: dict[int, bytes]) -> None:
        self.inner = inner
        self.patches = patches

    def read(self, n: int = -1) -> bytes:
        start = self.inner.tell()
        data = self.inner.read(n)
        end = start + len(data)
        if not any(start - 1 <= at < end for at in self.patches):
            return data
        out = bytearray(data)
        for at, value in self.patches.items():
            for i, byte in enumerate(value):
                if start <= at + i < end:
                    out[at + i - start] = byte
        return bytes(out)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """The caller owns ``inner``."""


def without_false_utf8_flags(stream: BinaryIO, size: int) -> BinaryIO | None:
    """``stream`` with the UTF-8 flag cleared where a name is not UTF-8; ``None`` if none is, or the
    zip's layout cannot be followed (zip64, a central directory past the limit or out of the file)."""
    end = find_zip_end(stream, size)
    if end is None:
        return None
    at, entries, cd_size, cd_offset = end
    if cd_size > MAX_CENTRAL_DIRECTORY or cd_size > at or 0xFFFFFFFF in (cd_size, cd_offset):
        return None
    cd_start = at - cd_size
    concat = cd_start - cd_offset  # bytes before the zip (a polyglot): offsets in it are relative
    stream.seek(cd_start)
    directory = stream.read(cd_size)
    patches: dict[int, bytes] = {}
    pos = 0
    for _ in range(entries):
        if pos + _CD_ENTRY.size > len(directory):
            return None
        sig, flags, name_len, extra_len, comment_len, local = _CD_ENTRY.unpack_from(directory, pos)
        if sig != b"PK\x01\x02":
            return None
        name = directory[pos + 46 : pos + 46 + name_len]
        if flags & _UTF8_FLAG and not _is_utf8(name):
            patches[cd_start + pos + 8] = struct.pack("<H", flags & ~_UTF8_FLAG)
            header_at = concat + local
            stream.seek(header_at)
            header = stream.read(_LOCAL.size + 22)
            if len(header) == _LOCAL.size + 22:
                lsig, lflags = _LOCAL.unpack_from(header)
                lname_len = struct.unpack_from("<H", header, 26)[0]
                if lsig == b"PK\x03\x04" and lflags & _UTF8_FLAG and lname_len == name_len:
                    patches[header_at + 6] = struct.pack("<H", lflags & ~_UTF8_FLAG)
        pos += 46 + name_len + extra_len + comment_len
    if not patches:
        return None
    stream.seek(0)
    return _Patched(stream, patches)  # type: ignore[return-value]


def _is_utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
