"""Disk images through The Sleuth Kit (pytsk3): partitions, file systems, and deleted files still listed.

Raw images (one file or split ``.001/.002...``) and EnCase E01 (through libewf's ``pyewf``) are read from
file descriptors netsafe opened read-only itself; TSK only ever sees a read callback, so it cannot write.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, get_args

import pyewf  # type: ignore[import-not-found]
import pytsk3  # type: ignore[import-not-found]

from netsafe.media import walkproc
from netsafe.media.blobs import FdReader, RangeReader, SplitReader, open_readonly, reader_stream
from netsafe.media.item import FileTimes, IssueCode, SourceIssue
from netsafe.media.limits import Limits
from netsafe.media.location import Location, Step
from netsafe.signals.defaults import one_line


class _Img(pytsk3.Img_Info):  # type: ignore[misc]
    """A TSK image whose only access to the evidence is our read callback."""

    def __init__(self, reader: RangeReader) -> None:
        self._reader = reader
        self._lock = threading.Lock()
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, size: int) -> bytes:
        with self._lock:
            return self._reader.read_at(offset, size)

    def get_size(self) -> int:
        return self._reader.size

    def close(self) -> None:
        pass


class EwfReader:
    """An E01 image's media through libewf, from file objects opened read-only."""

    def __init__(self, files: list[BinaryIO]) -> None:
        self._files = files
        self._handle = pyewf.handle()
        self._handle.open_file_objects(files, "r")
        self._size = int(self._handle.get_media_size())
        self._lock = threading.Lock()

    @classmethod
    def open_path(cls, path: str) -> EwfReader:
        try:
            segments = sorted(pyewf.glob(path)) if re.search(r"\.[EeLs]x?01$", path) else [path]
        except Exception:
            segments = [path]
        files: list[BinaryIO] = []
        try:
            for segment in segments:
                fd, _ = open_readonly(segment)
                files.append(os.fdopen(fd, "rb"))
            return cls(files)
        except BaseException:
            for fh in files:
                fh.close()
            raise

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        if length == 0:
            return b""
        with self._lock:
            return bytes(self._handle.read_buffer_at_offset(length, offset))

    def close(self) -> None:
        try:
            self._handle.close()
        finally:
            for fh in self._files:
                fh.close()


_SEGMENT = re.compile(r"^(?P<stem>.*)\.(?P<num>\d{3})$")


def split_segments(path: str) -> list[str] | None:
    """``x.001`` with ``x.002`` next to it: every segment in order; ``None`` if not a split image."""
    m = _SEGMENT.match(path)
    if not m or int(m["num"]) not in (0, 1):
        return None
    width, first = len(m["num"]), int(m["num"])
    parts = [path]
    n = first + 1
    while os.path.isfile(f"{m['stem']}.{n:0{width}d}"):
        parts.append(f"{m['stem']}.{n:0{width}d}")
        n += 1
    return parts if len(parts) > 1 else None


def later_split_segment(path: str) -> bool:
    """``x.002`` (or later) next to an ``x.001``: part of a split image, read from its first segment.

    Such a segment may start with a boot sector (where the split fell on a partition start); opened on its
    own it would list the same files again under a second location.
    """
    m = _SEGMENT.match(path)
    if not m or int(m["num"]) < 2:
        return False
    width = len(m["num"])
    return any(os.path.isfile(f"{m['stem']}.{n:0{width}d}") for n in (0, 1))


def open_split(parts: list[str]) -> SplitReader:
    readers: list[RangeReader] = []
    try:
        for part in parts:
            readers.append(FdReader.open(part))
    except BaseException:
        for r in readers:
            r.close()
        raise
    return SplitReader(readers)


@dataclass(slots=True)
class FsFile:
    """A regular file a file system lists (live or deleted)."""

    location: Location
    size: int
    deleted: bool
    times: FileTimes
    fs: Any
    inode: int
    lock: threading.Lock
    stream: int | None = None  # NTFS attribute id of a named data stream; None for the file's own data

    def open(self) -> BinaryIO:
        reader = _TskFileReader(self.fs, self.inode, self.size, self.lock, self.stream)
        return reader_stream(reader, owns=True)


class _TskFileReader:
    def __init__(self, fs: Any, inode: int, size: int, lock: threading.Lock, stream: int | None) -> None:
        self._lock = lock
        with lock:
            self._file = fs.open_meta(inode=inode)
        self._size = size
        self._stream = stream

    @property
    def size(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self._size - offset))
        if length == 0:
            return b""
        with self._lock:
            if self._stream is None:
                return bytes(self._file.read_random(offset, length))
            return bytes(
                self._file.read_random(offset, length, pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA, self._stream)
            )

    def close(self) -> None:
        self._file = None


def walk_disk(
    reader: RangeReader, where: Location, image: str, limits: Limits
) -> Iterator[FsFile | SourceIssue]:
    """Every regular file of every readable file system on the disk, in table and name order.

    TSK lists the files in a walker process (``walkproc``); this process reads their contents through its
    own handle on each file system. A walker stuck on one file system costs that file system only: the
    disk's next partitions are walked by a fresh one.
    """
    try:
        img = _Img(reader)
    except Exception as err:
        yield SourceIssue(where, "corrupt-filesystem", f"cannot open disk image: {one_line(err)}")
        return
    skip: int | None = 0
    while skip is not None:
        run = _DiskRun(img, where, image, limits)
        yield from run.walk(skip)
        skip = run.resume_after


class _DiskRun:
    """One walker's pass over a disk, turning its messages into files and issues with their locations."""

    def __init__(self, img: _Img, where: Location, image: str, limits: Limits) -> None:
        self.img, self.where, self.image, self.limits = img, where, image, limits
        self.part = Step("partition", index=None, offset=0, image=image)
        self.base: Location | None = None  # the current file system's location, once it is open here too
        self.fs: Any = None
        self.lock = threading.Lock()
        self.resume_after: int | None = None  # partition index to go on after, when the walker was lost

    def walk(self, skip: int) -> Iterator[FsFile | SourceIssue]:
        job = {
            "size": self.img.get_size(),
            "skip": skip,
            "max_file_size": self.limits.max_file_size,
            "max_fs_depth": self.limits.max_fs_depth,
        }
        walker = walkproc.lease()
        done = False
        try:
            for msg in walker.walk(job, self.img.read, self.limits.fs_stall_seconds):
                try:
                    found = list(self.event(msg))
                except (ValueError, TypeError, IndexError, OverflowError) as err:
                    raise walkproc.WalkCrashedError from err  # not what tskwalk sends: a broken walker
                yield from found
            done = True
        except walkproc.WalkStalledError:
            yield self.lost(
                f"file system walk took longer than {self.limits.fs_stall_seconds:g} s without progress: "
                "the image may be damaged; the rest of this file system was not listed "
                "(netsafe scan --fs-stall, or Limits.fs_stall_seconds, sets the limit)"
            )
        except walkproc.WalkCrashedError:
            yield self.lost(
                "the file system reader crashed: the image may be damaged; "
                "the rest of this file system was not listed"
            )
        finally:
            if done:
                walkproc.release(walker)
            else:
                walker.kill()  # stuck, dead, or its walk abandoned half-way: never reused

    def lost(self, message: str) -> SourceIssue:
        if self.part.index is not None:
            self.resume_after = self.part.index
        return SourceIssue(self.here(), "corrupt-filesystem", message)

    def here(self) -> Location:
        if self.base is not None:
            return self.base
        return self.where if self.part.index is None else self.where.child(self.part)

    def event(self, msg: list[Any]) -> Iterator[FsFile | SourceIssue]:
        kind = msg[0]
        if kind == "p":
            _, index, offset, name = msg
            index = None if index is None else int(index)
            self.part = Step("partition", name=str(name), index=index, offset=int(offset), image=self.image)
            self.base, self.fs = None, None
        elif kind == "f":
            self.part = Step(
                "partition",
                name=self.part.name,
                index=self.part.index,
                offset=self.part.offset,
                fs=str(msg[1]),
                image=self.image,
            )
            try:  # the walker has just opened it from the same bytes: this does not fail or hang
                self.fs = pytsk3.FS_Info(self.img, offset=self.part.offset)
            except OSError as err:
                yield SourceIssue(
                    self.here(), "corrupt-filesystem", f"no readable file system ({_tsk_error(err)})"
                )
                return
            self.base = self.where.child(self.part)
            self.lock = threading.Lock()
        elif kind == "i":
            _, scope, path, inode, code, message = msg
            if code not in _ISSUE_CODES:
                raise ValueError(f"not an issue code: {code!r}")
            loc = self.where if scope == "disk" else self.here()
            if path is not None:
                loc = loc.child(Step("path", str(path), inode=None if inode is None else int(inode)))
            yield SourceIssue(loc, code, one_line(ValueError(message)))
        elif kind == "F" and self.base is not None:
            _, path, inode, size, deleted, times, stream = msg
            loc = self.base.child(Step("path", str(path), inode=int(inode)))
            stamps = FileTimes(*(None if t is None else float(t) for t in times[:4]))
            attr = None if stream is None else int(stream)
            yield FsFile(loc, int(size), bool(deleted), stamps, self.fs, int(inode), self.lock, attr)


_ISSUE_CODES = frozenset(get_args(IssueCode))


def _tsk_error(err: BaseException) -> str:
    text = one_line(err)
    return text[:200]
