"""The Sleuth Kit's listing of a disk image, run in a process of its own (``netsafe.media.walkproc``).

A damaged file system can keep TSK busy in C, holding the GIL, for as long as it likes (an ext4 folder
whose size field claims 1 GB on a 1 MB image: 25 s in one ``open_dir``); only a process can be stopped
then. So this file runs as a script (``python -P tskwalk.py PARENT_PID``): the standard library and
pytsk3 only, so that it starts in a few milliseconds, and it never touches the evidence itself: every
byte it reads is asked of the parent, which owns the image.

Protocol. Parent to child: frames of an 8-byte little-endian signed length and a payload: a job (JSON)
or the answer to a read (bytes; length -1 for a failed read). Child to parent: JSON lines, ASCII only
(names keep undecodable bytes as lone surrogates, which JSON escapes), each a list of messages, each a
list whose first element says what it is: ``r`` a read, ``p`` a partition, ``f`` its file system, ``F``
a file, ``i`` an issue, ``b`` a sign of life, ``e`` the end of the job. One child walks one image at a
time, then waits for the next job, and exits once idle for IDLE_SECONDS or when its parent is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytsk3  # type: ignore[import-not-found]

IDLE_SECONDS = 60.0
BEAT_SECONDS = 0.25  # the parent's watchdog counts silence: a long healthy walk says so this often
BATCH = 512  # messages per line: one JSON call each way per batch, not per file
HEADER = struct.Struct("<q")

# Entries TSK invents (FAT tables, boot records) or file-system metadata: not user files.
_SYSTEM_NAMES = frozenset(
    name.upper()
    for name in (
        "$MBR", "$FAT1", "$FAT2", "$MFT", "$MFTMirr", "$LogFile", "$Volume", "$AttrDef", "$Bitmap", "$Boot",
        "$BadClus", "$Secure", "$UpCase", "$Extend", "$Upcase_Table", "$Alloc_Bitmap", "$Volume_GUID_Entry",
    )
)  # fmt: skip
_ORPHANS = "$OrphanFiles"


class Channel:
    """Frames from the parent on ``inp``; messages to it on ``out``, a batch of them per JSON line."""

    def __init__(self, inp: int, out: int) -> None:
        self.inp, self.out = inp, out
        self.pending: list[list[Any]] = []
        self.flushed = time.monotonic()

    def send(self, msg: list[Any]) -> None:
        self.pending.append(msg)
        if len(self.pending) >= BATCH:
            self.flush()

    def tick(self) -> None:
        if time.monotonic() - self.flushed >= BEAT_SECONDS:
            if not self.pending:
                self.pending.append(["b"])
            self.flush()

    def flush(self) -> None:
        if self.pending:
            line = json.dumps(self.pending, ensure_ascii=True, separators=(",", ":")) + "\n"
            self.pending = []
            view = memoryview(line.encode("ascii"))
            while view:
                view = view[os.write(self.out, view) :]
        self.flushed = time.monotonic()

    def read_at(self, offset: int, size: int) -> bytes:
        self.send(["r", offset, size])
        self.flush()
        (length,) = HEADER.unpack(self._exact(HEADER.size))
        if length < 0:
            raise OSError("the image could not be read at this offset")
        return self._exact(length)

    def job(self, idle: float) -> dict[str, Any] | None:
        """The next job, or ``None`` when the parent has none for ``idle`` seconds or is gone."""
        ready, _, _ = select.select([self.inp], [], [], idle)
        if not ready:
            return None
        try:
            (length,) = HEADER.unpack(self._exact(HEADER.size))
            job: dict[str, Any] = json.loads(self._exact(length))
        except EOFError:
            return None
        return job

    def _exact(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0:
            chunk = os.read(self.inp, min(n, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)


class _Img(pytsk3.Img_Info):  # type: ignore[misc]
    def __init__(self, chan: Channel, size: int) -> None:
        self._chan = chan
        self._size = size
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, size: int) -> bytes:
        return self._chan.read_at(offset, size)

    def get_size(self) -> int:
        return self._size

    def close(self) -> None:
        pass


class Walk:
    """One job: every regular file of every readable file system of one image, as messages."""

    def __init__(self, chan: Channel, job: dict[str, Any]) -> None:
        self.chan = chan
        self.size = int(job["size"])
        self.skip = int(job.get("skip", 0))  # partitions already walked (or given up) by an earlier child
        self.max_file_size = int(job["max_file_size"])
        self.max_fs_depth = int(job["max_fs_depth"])

    def issue(self, scope: str, path: str | None, inode: int | None, code: str, message: str) -> None:
        """``scope``: ``disk`` (the image), ``part`` (the partition), ``fs`` (in its file system)."""
        self.chan.send(["i", scope, path, inode, code, message])

    def run(self) -> None:
        try:
            img = _Img(self.chan, self.size)
        except Exception as err:
            self.issue("disk", None, None, "corrupt-filesystem", f"cannot open disk image: {one_line(err)}")
            return
        try:
            volume = pytsk3.Volume_Info(img)
        except OSError:
            volume = None
        if volume is None:
            self.chan.send(["p", None, 0, ""])
            self.chan.flush()
            self.file_system(img, 0, whole=True)
            return
        block = int(volume.info.block_size)
        index = 0
        found = False
        for part in volume:
            if not int(part.flags) & int(pytsk3.TSK_VS_PART_FLAG_ALLOC):
                continue
            index += 1
            found = True
            if index <= self.skip:
                continue
            self.chan.send(["p", index, int(part.start) * block, _desc(part)])
            self.chan.flush()
            self.file_system(img, int(part.start) * block, whole=False)
        if not found:
            self.issue("disk", None, None, "corrupt-filesystem", "partition table lists no partitions")

    def file_system(self, img: Any, offset: int, *, whole: bool) -> None:
        try:
            fs = pytsk3.FS_Info(img, offset=offset)
        except OSError as err:
            scope = "disk" if whole else "part"
            sealed = _encrypted_volume(img, offset)
            if sealed:
                self.issue(scope, None, None, "encrypted", f"{sealed} volume: not readable without its key")
                return
            what = "no file system netsafe can read on the disk image" if whole else "no readable file system"
            self.issue(scope, None, None, "corrupt-filesystem", f"{what} ({tsk_error(err)})")
            return
        name = _fs_name(fs)
        self.chan.send(["f", name])
        self.chan.flush()  # before TSK's first call that may not return: the parent knows where it stuck
        try:
            root = fs.open_dir(path="/")
        except OSError as err:
            self.issue(
                "fs", None, None, "corrupt-filesystem", f"cannot read the root folder ({tsk_error(err)})"
            )
            return
        self.directory(fs, root, "", {int(fs.info.root_inum)}, 0, in_orphans=False, ntfs=name == "ntfs")

    def directory(
        self, fs: Any, folder: Any, path: str, seen: set[int], depth: int, *, in_orphans: bool, ntfs: bool
    ) -> None:
        try:
            entries = sorted(self._entries(folder), key=lambda e: bytes(e.info.name.name))
        except Exception as err:
            self.issue(
                "fs", path or "/", None, "corrupt-filesystem", f"cannot list folder ({tsk_error(err)})"
            )
            return
        for entry in entries:
            self.chan.tick()
            name_info = entry.info.name
            raw = bytes(name_info.name)
            if raw in (b".", b".."):
                continue
            # Undecodable bytes stay as surrogates: the location keeps (and the report shows) the exact name.
            name = raw.decode("utf-8", "surrogateescape")
            if depth == 0 and (name.upper() in _SYSTEM_NAMES or name.endswith("(Volume Label Entry)")):
                continue  # TSK's view of FAT tables, boot records, labels and NTFS metadata: not user files
            meta = entry.info.meta
            name_freed = bool(int(name_info.flags) & int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC))
            if meta is None and name_freed:
                meta = _unallocated_meta(fs, name_info)
            full = f"{path}/{name}"
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
                if meta is not None:  # else a deleted folder whose record is gone: nothing left to list
                    self.subfolder(fs, entry, full, int(meta.addr), seen, depth, deleted, in_orphans, ntfs)
                continue
            if meta is None or mtype != pytsk3.TSK_FS_META_TYPE_REG:
                continue  # links, devices and FIFOs inside an image carry no content
            size = int(meta.size)
            if size == 0 and in_orphans:
                continue  # TSK lists never-used NTFS records as empty orphans: nothing to scan
            addr = int(meta.addr)
            if size > self.max_file_size:
                self.issue(
                    "fs", full, addr, "too-large", f"file larger than the {self.max_file_size}-byte limit"
                )
                continue
            times = _times(meta)
            self.chan.send(["F", full, addr, size, deleted, times, None])
            if ntfs and entry.info.meta is not None:
                self.named_streams(entry, full, addr, deleted, times)

    def _entries(self, folder: Any) -> Iterator[Any]:
        for entry in folder:
            self.chan.tick()  # a folder of a million names takes a while to list: still alive
            yield entry

    def subfolder(
        self,
        fs: Any,
        entry: Any,
        full: str,
        addr: int,
        seen: set[int],
        depth: int,
        deleted: bool,
        in_orphans: bool,
        ntfs: bool,
    ) -> None:
        if addr in seen:
            if not deleted:
                self.issue(
                    "fs", full, None, "symlink-loop", "folder contains itself (corrupt file system): skipped"
                )
            return
        if depth + 1 > self.max_fs_depth:
            self.issue(
                "fs", full, None, "too-deep", f"folders nested deeper than max_fs_depth={self.max_fs_depth}"
            )
            return
        try:
            sub = entry.as_directory()
        except Exception:
            return  # deleted folders often no longer parse; their files show under $OrphanFiles
        orphans = in_orphans or (depth == 0 and full == f"/{_ORPHANS}")
        self.directory(fs, sub, full, seen | {addr}, depth + 1, in_orphans=orphans, ntfs=ntfs)

    def named_streams(
        self, entry: Any, full: str, addr: int, deleted: bool, times: list[float | None]
    ) -> None:
        """NTFS alternate data streams (``file.txt:hidden.jpg``): a classic place to hide a picture."""
        data_type = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)
        try:
            streams = [
                (bytes(a.info.name), int(a.info.id), int(a.info.size))
                for a in entry
                if int(a.info.type) == data_type and a.info.name
            ]
        except Exception:
            return
        for raw, attr_id, size in streams:
            path = f"{full}:{raw.decode('utf-8', 'replace')}"
            if size > self.max_file_size:
                self.issue(
                    "fs", path, addr, "too-large", f"stream larger than the {self.max_file_size}-byte limit"
                )
                continue
            self.chan.send(["F", path, addr, size, deleted, times, attr_id])


def _unallocated_meta(fs: Any, name_info: Any) -> Any:
    """The metadata a deleted name still points to, if that record is still free (not reused).

    NTFS directory listings leave ``meta`` empty for deleted names; the MFT record is often intact. A
    record that has since been allocated to another file holds that file's content, so it is not used.
    """
    addr = int(name_info.meta_addr)
    if addr == 0:
        return None
    try:
        meta = fs.open_meta(inode=addr).info.meta
    except OSError:
        return None
    if meta is None or not int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_UNALLOC):
        return None
    return meta


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


def _times(meta: Any) -> list[float | None]:
    """Modified, accessed, changed, created, as POSIX seconds (``None`` where not recorded)."""

    def stamp(name: str) -> float | None:
        value = int(getattr(meta, name, 0) or 0)
        if value <= 0:
            return None
        nano = int(getattr(meta, f"{name}_nano", 0) or 0)
        return value + nano / 1e9

    return [stamp("mtime"), stamp("atime"), stamp("ctime"), stamp("crtime")]


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def tsk_error(err: BaseException) -> str:
    return one_line(err)[:200]


def _end_with_parent(parent: int) -> None:
    """Die with the parent, even while TSK loops in C: the kernel's signal needs no Python code to run."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent was gone before the signal was armed
        os._exit(1)


def main(argv: list[str]) -> None:
    _end_with_parent(int(argv[1]))
    # The protocol owns the pipes: a stray print (or a library's message) must not land in it.
    inp, out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    chan = Channel(inp, out)
    while (job := chan.job(IDLE_SECONDS)) is not None:
        try:
            Walk(chan, job).run()
        except EOFError:
            return  # the parent stopped answering reads: it has gone, or given up on this image
        except Exception as err:  # a TSK binding bug on hostile input: this image is lost, not the walker
            chan.send(
                [
                    "i",
                    "disk",
                    None,
                    None,
                    "corrupt-filesystem",
                    f"unexpected {type(err).__name__}: {one_line(err)}",
                ]
            )
        chan.send(["e"])
        chan.flush()


if __name__ == "__main__":
    main(sys.argv)
