"""Disk images through The Sleuth Kit (pytsk3): partitions, file systems, and deleted files still listed.

Raw images (one file or split ``.001/.002...``) and EnCase E01 (through libewf's ``pyewf``) are read from
file descriptors netsafe opened read-only itself; TSK only ever sees a read callback, so it cannot write.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyewf  # type: ignore[import-not-found]
import pytsk3  # type: ignore[import-not-found]

from netsafe.media.blobs import FdReader, RangeReader, SplitReader, open_readonly, reader_stream
from netsafe.media.item import FileTimes, SourceIssue
from netsafe.media.limits import Limits
from netsafe.media.location import Location, Step
from netsafe.signals.imaging import one_line

# Entries TSK invents (FAT tables, boot records) or file-system metadata: not user files.
_SYSTEM_NAMES = frozenset(
    name.upper()
    for name in (
        "$MBR", "$FAT1", "$FAT2", "$MFT", "$MFTMirr", "$LogFile", "$Volume", "$AttrDef", "$Bitmap", "$Boot",
        "$BadClus", "$Secure", "$UpCase", "$Extend", "$Upcase_Table", "$Alloc_Bitmap", "$Volume_GUID_Entry",
    )
)  # fmt: skip
_ORPHANS = "$OrphanFiles"


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
    """Every regular file of every readable file system on the disk, in table and name order."""
    try:
        img = _Img(reader)
    except Exception as err:
        yield SourceIssue(where, "corrupt-filesystem", f"cannot open disk image: {one_line(err)}")
        return
    try:
        volume = pytsk3.Volume_Info(img)
    except OSError:
        volume = None
    if volume is None:
        step = Step("partition", index=None, offset=0, image=image)
        yield from _walk_fs(img, 0, where, step, limits, whole=True)
        return
    block = int(volume.info.block_size)
    index = 0
    found = False
    for part in volume:
        if not int(part.flags) & int(pytsk3.TSK_VS_PART_FLAG_ALLOC):
            continue
        index += 1
        offset = int(part.start) * block
        step = Step("partition", name=_desc(part), index=index, offset=offset, image=image)
        found = True
        yield from _walk_fs(img, offset, where, step, limits, whole=False)
    if not found:
        yield SourceIssue(where, "corrupt-filesystem", "partition table lists no partitions")


def _encrypted_volume(img: Any, offset: int) -> str | None:
    """Name the full-volume encryption whose header sits at ``offset``, if any."""
    try:
        head = bytes(img.read(offset, 16))
    except Exception:
        return None
    if head[3:11] == b"-FVE-FS-":
        return "BitLocker"
    if head[:6] == b"LUKS\xba\xbe":
        return "LUKS"
    return None


def _desc(part: Any) -> str:
    try:
        return str(part.desc.decode("utf-8", "replace"))
    except Exception:
        return ""


def _fs_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for attr in dir(pytsk3):
        if attr.startswith("TSK_FS_TYPE_") and not attr.endswith(("_DETECT", "_ENUM")):
            with contextlib.suppress(TypeError, ValueError):
                names.setdefault(int(getattr(pytsk3, attr)), attr.removeprefix("TSK_FS_TYPE_").lower())
    return names


_FS_NAMES = _fs_names()


def _fs_name(fs: Any) -> str:
    ftype = fs.info.ftype
    try:
        return _FS_NAMES.get(int(ftype), f"type-{int(ftype)}")
    except (TypeError, ValueError):
        return str(ftype).rsplit(".", 1)[-1].removeprefix("TSK_FS_TYPE_").lower()


def _walk_fs(
    img: Any, offset: int, where: Location, step: Step, limits: Limits, *, whole: bool
) -> Iterator[FsFile | SourceIssue]:
    try:
        fs = pytsk3.FS_Info(img, offset=offset)
    except OSError as err:
        loc = where if whole else where.child(step)
        sealed = _encrypted_volume(img, offset)
        if sealed:
            yield SourceIssue(loc, "encrypted", f"{sealed} volume: not readable without its key")
            return
        what = "no file system netsafe can read on the disk image" if whole else "no readable file system"
        yield SourceIssue(loc, "corrupt-filesystem", f"{what} ({_tsk_error(err)})")
        return
    part = Step(
        "partition", name=step.name, index=step.index, offset=offset, fs=_fs_name(fs), image=step.image
    )
    base = where.child(part)
    lock = threading.Lock()
    try:
        root = fs.open_dir(path="/")
    except OSError as err:
        yield SourceIssue(base, "corrupt-filesystem", f"cannot read the root folder ({_tsk_error(err)})")
        return
    root_addr = int(fs.info.root_inum)
    ntfs = part.fs == "ntfs"
    yield from _walk_dir(fs, root, "", base, {root_addr}, 0, limits, lock, in_orphans=False, ntfs=ntfs)


def _walk_dir(
    fs: Any,
    directory: Any,
    path: str,
    base: Location,
    seen: set[int],
    depth: int,
    limits: Limits,
    lock: threading.Lock,
    *,
    in_orphans: bool,
    ntfs: bool,
) -> Iterator[FsFile | SourceIssue]:
    try:
        with lock:  # TSK handles are not thread-safe: items may be read from other threads meanwhile
            entries = sorted(directory, key=lambda e: bytes(e.info.name.name))
    except Exception as err:
        yield SourceIssue(
            _here(base, path or "/"), "corrupt-filesystem", f"cannot list folder ({_tsk_error(err)})"
        )
        return
    for entry in entries:
        name_info = entry.info.name
        raw = bytes(name_info.name)
        if raw in (b".", b".."):
            continue
        # Undecodable bytes stay as surrogates: the location keeps (and the report shows) the exact name.
        name = raw.decode("utf-8", "surrogateescape")
        if depth == 0 and (name.upper() in _SYSTEM_NAMES or name.endswith("(Volume Label Entry)")):
            continue  # TSK's view of FAT tables, boot records, labels and NTFS metadata: not user files
        meta = entry.info.meta
        if meta is None and int(name_info.flags) & int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC):
            meta = _unallocated_meta(fs, name_info, lock)
        full = f"{path}/{name}"
        name_freed = bool(int(name_info.flags) & int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC))
        deleted = in_orphans or name_freed
        if name_freed and meta is not None and int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_ALLOC):
            continue  # a deleted name whose record now belongs to a live file: that file is listed itself
        if meta is not None:
            deleted = deleted or bool(int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_UNALLOC))
            mtype = meta.type
        else:
            mtype = None
        is_dir = mtype == pytsk3.TSK_FS_META_TYPE_DIR or (
            mtype is None and name_info.type == pytsk3.TSK_FS_NAME_TYPE_DIR
        )
        if is_dir:
            if meta is None:
                continue  # a deleted folder whose record is gone: nothing left to list
            addr = int(meta.addr)
            if addr in seen:
                if not deleted:
                    yield SourceIssue(
                        _here(base, full),
                        "symlink-loop",
                        "folder contains itself (corrupt file system): skipped",
                    )
                continue
            if depth + 1 > limits.max_fs_depth:
                yield SourceIssue(
                    _here(base, full),
                    "too-deep",
                    f"folders nested deeper than max_fs_depth={limits.max_fs_depth}",
                )
                continue
            try:
                with lock:
                    sub = entry.as_directory()
            except Exception:
                continue  # deleted folders often no longer parse; their files show under $OrphanFiles
            yield from _walk_dir(
                fs,
                sub,
                full,
                base,
                seen | {addr},
                depth + 1,
                limits,
                lock,
                in_orphans=in_orphans or (depth == 0 and name == _ORPHANS),
                ntfs=ntfs,
            )
            continue
        if meta is None or mtype != pytsk3.TSK_FS_META_TYPE_REG:
            continue  # links, devices and FIFOs inside an image carry no content
        size = int(meta.size)
        if size == 0 and in_orphans:
            continue  # TSK lists never-used NTFS records as empty orphans: nothing to scan
        loc = base.child(Step("path", full, inode=int(meta.addr)))
        if size > limits.max_file_size:
            yield SourceIssue(loc, "too-large", f"file larger than the {limits.max_file_size}-byte limit")
            continue
        yield FsFile(loc, size, deleted, _times(meta), fs, int(meta.addr), lock)
        if ntfs and entry.info.meta is not None:
            yield from _named_streams(entry, full, base, deleted, _times(meta), fs, lock, limits)


def _named_streams(
    entry: Any,
    full: str,
    base: Location,
    deleted: bool,
    times: FileTimes,
    fs: Any,
    lock: threading.Lock,
    limits: Limits,
) -> Iterator[FsFile | SourceIssue]:
    """NTFS alternate data streams (``file.txt:hidden.jpg``): a classic place to hide a picture."""
    data_type = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)
    try:
        with lock:
            streams = [
                (bytes(a.info.name), int(a.info.id), int(a.info.size))
                for a in entry
                if int(a.info.type) == data_type and a.info.name
            ]
    except Exception:
        return
    addr = int(entry.info.meta.addr)
    for raw, attr_id, size in streams:
        name = raw.decode("utf-8", "replace")
        loc = base.child(Step("path", f"{full}:{name}", inode=addr))
        if size > limits.max_file_size:
            yield SourceIssue(loc, "too-large", f"stream larger than the {limits.max_file_size}-byte limit")
            continue
        yield FsFile(loc, size, deleted, times, fs, addr, lock, attr_id)


def _unallocated_meta(fs: Any, name_info: Any, lock: threading.Lock) -> Any:
    """The metadata a deleted name still points to, if that record is still free (not reused).

    NTFS directory listings leave ``meta`` empty for deleted names; the MFT record is often intact. A
    record that has since been allocated to another file holds that file's content, so it is not used.
    """
    addr = int(name_info.meta_addr)
    if addr == 0:
        return None
    try:
        with lock:
            meta = fs.open_meta(inode=addr).info.meta
    except OSError:
        return None
    if meta is None or not int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_UNALLOC):
        return None
    return meta


def _here(base: Location, path: str) -> Location:
    return base.child(Step("path", path))


def _times(meta: Any) -> FileTimes:
    def stamp(name: str) -> float | None:
        value = int(getattr(meta, name, 0) or 0)
        if value <= 0:
            return None
        nano = int(getattr(meta, f"{name}_nano", 0) or 0)
        return value + nano / 1e9

    return FileTimes(
        modified=stamp("mtime"), accessed=stamp("atime"), changed=stamp("ctime"), created=stamp("crtime")
    )


def _tsk_error(err: BaseException) -> str:
    text = one_line(err)
    return text[:200]
