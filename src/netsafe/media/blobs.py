"""Read-only byte sources: evidence files, split images, archive members held in memory or spilled.

Evidence files are opened with ``O_RDONLY`` (and ``O_NOATIME`` where the kernel allows it, so even the
access time stays as seized); nothing here ever opens a file for writing except the private spill files
netsafe itself creates.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import io
import os
import shutil
import stat
import tempfile
import threading
import weakref
from collections.abc import Sequence
from typing import BinaryIO, Protocol

_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_readonly(path: str, *, follow: bool = True, allow_block: bool = False) -> tuple[int, int]:
    """Open evidence read-only; return ``(fd, size)``.

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for a writer; the ``fstat``
    after opening then refuses anything that is not a regular file (or a block device when allowed),
    so a file swapped for a FIFO between listing and opening still cannot hang the scan.
    """
    flags = _BASE_FLAGS | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags | _NOATIME)
    except PermissionError:
        fd = os.open(path, flags)  # O_NOATIME needs ownership of the file; fall back without it
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            size = st.st_size
        elif allow_block and stat.S_ISBLK(st.st_mode):
            size = os.lseek(fd, 0, os.SEEK_END)
        else:
            raise OSError(errno.EINVAL, "not a regular file (device, FIFO or socket)", path)
    except BaseException:
        os.close(fd)
        raise
    return fd, size


class RangeReader(Protocol):
    """Random access to a fixed run of bytes."""

    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, length: int) -> bytes: ...

    def close(self) -> None: ...


class FdReader:
    """Reads an evidence file by ``pread``; the descriptor closes with ``close()`` or when collected."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size
        self._finalizer = weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, path: str, *, allow_block: bool = False) -> FdReader:
        return cls(*open_readonly(path, allow_block=allow_block))

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        parts: list[bytes] = []
        while length > 0:
            chunk = os.pread(self._fd, length, offset)
            if not chunk:
                break
            parts.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(parts)

    def close(self) -> None:
        self._finalizer()


class SplitReader:
    """Segments ``x.001, x.002, ...`` of a split raw image, read as one disk."""

    def __init__(self, parts: Sequence[RangeReader]) -> None:
        self._parts = list(parts)
        self._starts: list[int] = []
        total = 0
        for part in self._parts:
            self._starts.append(total)
            total += part.size
        self._size = total

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        out: list[bytes] = []
        end = min(self._size, offset + length)
        for start, part in zip(self._starts, self._parts, strict=True):
            if offset >= end:
                break
            stop = start + part.size
            if stop <= offset:
                continue
            take = min(end, stop) - offset
            out.append(part.read_at(offset - start, take))
            offset += take
        return b"".join(out)

    def close(self) -> None:
        for part in self._parts:
            part.close()


class StreamReader:
    """Random access over a seekable stream (a disk image found inside an archive or file system)."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self._size = size
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        if length == 0:
            return b""
        with self._lock:
            self._stream.seek(offset)
            return self._stream.read(length)

    def close(self) -> None:
        self._stream.close()


class ReaderStream(io.RawIOBase):
    """A seekable binary stream over a :class:`RangeReader` (what zipfile, PyAV and Pillow want)."""

    def __init__(self, reader: RangeReader, *, owns: bool = False) -> None:
        super().__init__()
        self._reader = reader
        self._pos = 0
        self._owns = owns

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._reader.size}[whence]
        if base + offset < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._reader.read_at(self._pos, len(view))
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if self._owns and not self.closed:
            self._reader.close()
        super().close()


def reader_stream(reader: RangeReader, *, owns: bool = False) -> BinaryIO:
    return io.BufferedReader(ReaderStream(reader, owns=owns), buffer_size=256 * 1024)


# Spill files: archive members too big to hold in memory. One private folder (mode 0700) per process,
# random file names (never the member's name), each file deleted when the item holding it is collected.
_spill_lock = threading.Lock()
_spill_dir: str | None = None


def _private_dir() -> str:
    global _spill_dir
    with _spill_lock:
        if _spill_dir is None or not os.path.isdir(_spill_dir):
            _spill_dir = tempfile.mkdtemp(prefix="netsafe-spill-")
            atexit.register(shutil.rmtree, _spill_dir, True)
        return _spill_dir


class Spill:
    """A private temporary file holding one archive member; removed when this object is collected."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(dir=_private_dir())
        self._fh: BinaryIO | None = os.fdopen(fd, "wb")
        self.size = 0
        self._finalizer = weakref.finalize(self, _unlink, self.path)

    def write(self, data: bytes) -> None:
        assert self._fh is not None
        self._fh.write(data)
        self.size += len(data)

    def seal(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def open(self) -> BinaryIO:
        return open(self.path, "rb")

    def discard(self) -> None:
        self.seal()
        self._finalizer()


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


class MemberBuffer:
    """Collects one member's bytes: in memory up to a limit, then in a :class:`Spill`."""

    def __init__(self, memory_limit: int) -> None:
        self._limit = memory_limit
        self._chunks: list[bytes] = []
        self._held = 0
        self._spill: Spill | None = None

    @property
    def size(self) -> int:
        return self._spill.size if self._spill is not None else self._held

    def write(self, data: bytes) -> None:
        if self._spill is not None:
            self._spill.write(data)
            return
        self._chunks.append(bytes(data))
        self._held += len(data)
        if self._held > self._limit:
            self._spill = Spill()
            for chunk in self._chunks:
                self._spill.write(chunk)
            self._chunks.clear()

    def finish(self) -> bytes | Spill:
        if self._spill is not None:
            self._spill.seal()
            return self._spill
        data = b"".join(self._chunks)
        self._chunks = [data]
        return data

    def discard(self) -> None:
        if self._spill is not None:
            self._spill.discard()
        self._chunks.clear()
