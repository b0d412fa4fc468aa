"""Read one item again by its location: the scan's own walk, followed only along that location.

A stored location (``/cases/usb.E01 > partition 1 (...) > /DCIM/x.zip > zip:b.jpg``) names every hop from
the examiner's file inwards. The walk here is the one the scan made, so the same location means the same
item, but it opens only the containers on the way. A zip on the way is read from its directory straight to
the member named (one member read, not all of them before it); a file in a disk image's file system is
opened by the inode its location records (no listing of the file system's folders); tar and 7z have no
directory to jump with, so their members before the one named are read and dropped. When a caller's check
of the bytes fails after such a jump, the whole walk is made again and has the last word.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Callable, Iterator

import pytsk3  # type: ignore[import-not-found]

from netsafe.errors import NotFound
from netsafe.media import archives, tskwalk
from netsafe.media import disk as disks
from netsafe.media.blobs import RangeReader, Spill
from netsafe.media.item import FileTimes, MediaItem, SourceIssue
from netsafe.media.limits import Budget, Layer, LimitError, Limits
from netsafe.media.location import Location
from netsafe.media.sniff import ContainerKind
from netsafe.media.sources import Event, Opener, _content_opener, _Walker


class ItemGoneError(NotFound):
    """The item is no longer where the scan found it (evidence moved, unmounted or changed)."""


class _Towards(_Walker):
    def __init__(self, limits: Limits, target: Location, jump: bool = True) -> None:
        super().__init__(limits)
        self.target = target.steps
        self.jump = jump

    def on_the_way(self, loc: Location) -> bool:
        n = len(loc.steps)
        return n < len(self.target) and loc.steps == self.target[:n]

    def expand(self, opener: Opener, size: int, loc: Location, budget: Budget | None) -> Iterator[Event]:
        if not self.on_the_way(loc):
            return iter(())  # not on the way to the item: never opened
        return super().expand(opener, size, loc, budget)

    def archive(
        self, kind: ContainerKind, opener: Opener, size: int, loc: Location, budget: Budget | None
    ) -> Iterator[Event]:
        if self.jump and kind == "zip" and self.on_the_way(loc) and loc.depth < self.limits.max_depth:
            found = self._zip_member(opener, size, loc, budget or Budget(self.limits, size))
            if found is not None:
                return found
        return super().archive(kind, opener, size, loc, budget)

    def _zip_member(self, opener: Opener, size: int, loc: Location, budget: Budget) -> Iterator[Event] | None:
        """The named member of a zip, read alone; None to leave it to the whole walk (a zip that needs the
        walk's repairs, a member not found by its name)."""
        step = self.target[len(loc.steps)]
        if step.kind != "member" or step.archive != "zip":
            return None
        try:
            with opener() as stream, zipfile.ZipFile(stream) as zf:
                info = next(
                    (i for i in zf.infolist() if not i.is_dir() and archives._zip_name(i) == step.name), None
                )
                if info is None or info.flag_bits & 0x1 or info.compress_type == 99:
                    return None
                with zf.open(info) as fh:
                    content = archives.read_member(fh, Layer(budget, size), self.limits)  # type: ignore[arg-type]
        except (LimitError, archives._TooLargeError):
            raise ItemGoneError("the item cannot be read: larger than a thumbnail is made of") from None
        except Exception:  # whatever zipfile trips on, the whole walk knows how to report
            return None
        return self._member(content, loc.member(step.name, "zip"), budget)

    def disk(self, reader: RangeReader, loc: Location, image: str, budget: Budget | None) -> Iterator[Event]:
        found = self._disk_file(reader, loc, budget) if self.jump else None
        return found if found is not None else super().disk(reader, loc, image, budget)

    def _disk_file(self, reader: RangeReader, loc: Location, budget: Budget | None) -> Iterator[Event] | None:
        """The file a disk image's location names, opened by its inode; None to leave it to the walk."""
        n = len(loc.steps)
        if n + 2 > len(self.target) or loc.steps != self.target[:n]:
            return None
        part, path = self.target[n], self.target[n + 1]
        if part.kind != "partition" or path.kind != "path" or path.inode is None or part.offset is None:
            return None
        if part.fs in (None, "ntfs"):  # NTFS's named streams share their file's inode: the walk knows them
            return None
        try:
            fs = pytsk3.FS_Info(disks._Img(reader), offset=part.offset)
            if tskwalk._fs_name(fs) != part.fs:
                return None
            meta = fs.open_meta(inode=path.inode).info.meta
            if meta is None or meta.type != pytsk3.TSK_FS_META_TYPE_REG:
                return None
            size = int(meta.size)
        except Exception:  # anything TSK trips on: the walk reports it
            return None
        if size > self.limits.max_file_size:
            raise ItemGoneError("the item cannot be read: larger than a thumbnail is made of")
        found = disks.FsFile(
            Location(self.target[: n + 2]), size, False, FileTimes(), fs, path.inode, threading.Lock()
        )
        return self._file(found, budget)

    def _file(self, found: disks.FsFile, budget: Budget | None) -> Iterator[Event]:
        yield MediaItem(found.location, found.size, found.open)
        if found.size > 0:
            yield from self.expand(found.open, found.size, found.location, budget)

    def _member(self, content: bytes | Spill, where: Location, budget: Budget) -> Iterator[Event]:
        size = len(content) if isinstance(content, bytes) else content.size
        member_opener = _content_opener(content)
        yield MediaItem(where, size, member_opener)
        yield from self.expand(member_opener, size, where, budget)


def read_item(location: Location, limits: Limits, check: Callable[[bytes], bool] | None = None) -> bytes:
    """The bytes of the item at ``location``; :class:`ItemGoneError` when it cannot be read there.

    ``limits.max_file_size`` caps the item and every container on the way; give ``max_member_in_memory``
    above it so that nothing is ever spilled to a temporary file. ``check`` (the bytes' hash is the one
    stored, say) failing after a jump makes the whole walk again, whose bytes are returned either way."""
    if not location.steps or location.steps[0].kind != "file":
        raise ItemGoneError("the item's location does not start with a file on this machine")
    data = _read(location, limits, jump=True)
    if check is None or check(data):
        return data
    return _read(location, limits, jump=False)


def _read(location: Location, limits: Limits, jump: bool) -> bytes:
    walker = _Towards(limits, location, jump)
    problem = "not found where the scan found it"
    events = walker.source(location.steps[0].name)
    try:
        for event in events:
            if isinstance(event, MediaItem) and event.location == location:
                try:
                    return event.read_bytes()
                except OSError as err:
                    raise ItemGoneError(f"the item cannot be read: {err.strerror or 'I/O error'}") from None
            if (
                isinstance(event, SourceIssue)
                and event.location.steps == location.steps[: len(event.location.steps)]
            ):
                problem = event.message
    finally:
        events.close()  # type: ignore[attr-defined]
    raise ItemGoneError(f"the item cannot be read: {problem}")


def _on_the_way(where: Location, target: Location) -> bool:
    return where.steps == target.steps[: len(where.steps)]
