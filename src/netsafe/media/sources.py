"""Turn what the examiner points at (folders, files, disk images) into media items and issues.

Containers are recognised by content, never by name, and opened recursively: archives in folders, in
disk images, in other archives, up to ``Limits.max_depth``. Every file is yielded as an item, containers
included (a known archive is evidence too), except a disk image given directly as a source: that is the
evidence itself, and its files are the items. The order is stable (names sorted, archive and partition
order), so a resumed scan sees the same sequence.

Nothing here raises for bad evidence: every problem is a :class:`SourceIssue` in the stream.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from netsafe.media import archives, disk
from netsafe.media.blobs import FdReader, RangeReader, Spill, StreamReader, open_readonly
from netsafe.media.item import FileTimes, MediaItem, SourceIssue, bytes_opener
from netsafe.media.limits import Budget, Limits
from netsafe.media.location import Location
from netsafe.media.sniff import (
    CONTAINER_SNIFF_BYTES,
    ContainerKind,
    container_kind,
    ewf_segment,
    has_appended_zip,
)
from netsafe.signals.defaults import one_line

Event = MediaItem | SourceIssue
Opener = Callable[[], BinaryIO]


def iter_sources(paths: Iterable[str], limits: Limits | None = None) -> Iterator[Event]:
    """Every media item and issue under ``paths``, in a stable order."""
    walker = _Walker(limits or Limits())
    for path in paths:
        try:
            yield from walker.source(path)
        except Exception as err:  # last resort: one source lost, never the whole scan
            loc = Location.file(os.path.abspath(path))
            yield SourceIssue(loc, "unreadable", f"unexpected {type(err).__name__}: {one_line(err)}")


def iter_source(path: str, limits: Limits | None = None) -> Iterator[Event]:
    return iter_sources([path], limits)


def iter_bytes(data: bytes, name: str, limits: Limits | None = None) -> Iterator[Event]:
    """An in-memory file (an upload) as a source: the file itself, then whatever it contains."""
    walker = _Walker(limits or Limits())
    loc = Location.file(name)
    opener = bytes_opener(data)
    yield MediaItem(loc, len(data), opener)
    try:
        yield from walker.expand(opener, len(data), loc, None)
    except Exception as err:  # last resort, as in iter_sources
        yield SourceIssue(loc, "unreadable", f"unexpected {type(err).__name__}: {one_line(err)}")


def _host_opener(path: str) -> Opener:
    def opener() -> BinaryIO:
        fd, _ = open_readonly(path)
        return os.fdopen(fd, "rb")

    return opener


def _stat_times(st: os.stat_result) -> FileTimes:
    return FileTimes(
        modified=st.st_mtime,
        accessed=st.st_atime,
        changed=st.st_ctime,
        created=getattr(st, "st_birthtime", None),
    )


def _head(opener: Opener) -> bytes:
    with opener() as fh:
        return fh.read(CONTAINER_SNIFF_BYTES)


class _Walker:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    # ---- the examiner's machine ---------------------------------------------------------------------
    def source(self, path: str) -> Iterator[Event]:
        full = os.path.abspath(path)
        loc = Location.file(full)
        try:
            st = os.stat(full)  # a link the examiner names is followed: it is their choice of evidence
        except OSError as err:
            yield _os_issue(loc, err)
            return
        if stat.S_ISDIR(st.st_mode):
            yield from self.folder(full, {(st.st_dev, st.st_ino)}, 0)
            return
        if stat.S_ISBLK(st.st_mode):
            try:
                reader: RangeReader = FdReader.open(full, allow_block=True)
            except OSError as err:
                yield _os_issue(loc, err)
                return
            yield from self.disk(reader, loc, "raw", None)
            return
        if not stat.S_ISREG(st.st_mode):
            yield SourceIssue(loc, "special-file", "not a regular file (device, FIFO or socket): not opened")
            return
        opener = _host_opener(full)
        try:
            kind = container_kind(_head(opener))
        except OSError as err:
            yield _os_issue(loc, err)
            return
        if kind in ("disk", "e01"):
            yield from self.host_disk(full, kind, loc)
            return
        yield from self.host_file(full, loc, st)

    def folder(self, path: str, entered: set[tuple[int, int]], depth: int) -> Iterator[Event]:
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as err:
            yield _os_issue(Location.file(path), err, "cannot list folder")
            return
        for entry in entries:
            full = entry.path
            loc = Location.file(full)
            try:
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    if not self.limits.follow_symlinks:
                        yield _link_issue(full, loc)
                        continue
                    st = os.stat(full)
            except OSError as err:
                yield _os_issue(loc, err)
                continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key in entered:
                    yield SourceIssue(
                        loc, "symlink-loop", "link leads back into a folder being walked: skipped"
                    )
                    continue
                if depth + 1 > self.limits.max_fs_depth:
                    yield SourceIssue(
                        loc, "too-deep", f"folders nested deeper than max_fs_depth={self.limits.max_fs_depth}"
                    )
                    continue
                yield from self.folder(full, entered | {key}, depth + 1)
            elif stat.S_ISREG(st.st_mode):
                yield from self.host_file(full, loc, st)
            else:
                yield SourceIssue(
                    loc, "special-file", "not a regular file (device, FIFO or socket): not opened"
                )

    def host_file(self, path: str, loc: Location, st: os.stat_result) -> Iterator[Event]:
        opener = _host_opener(path)
        if st.st_size > self.limits.max_file_size:
            yield SourceIssue(
                loc,
                "too-large",
                f"file larger than the {self.limits.max_file_size}-byte limit (max_file_size)",
            )
        else:
            yield MediaItem(loc, st.st_size, opener, times=_stat_times(st), host_path=path)
        try:
            head = _head(opener)
        except OSError as err:
            yield _os_issue(loc, err)
            return
        kind = container_kind(head)
        if (kind == "e01" and (ewf_segment(head) or 1) > 1) or (
            kind == "disk" and disk.later_split_segment(path)
        ):
            return  # a later segment of an E01 set or split image: read with the set, from its first segment
        if kind in ("disk", "e01"):
            yield from self.host_disk(path, kind, loc)
        elif st.st_size > self.limits.max_file_size:
            return
        elif kind is not None:
            yield from self.archive(kind, opener, st.st_size, loc, None)
        else:
            yield from self.appended(opener, st.st_size, loc, None)

    def host_disk(self, path: str, kind: ContainerKind, loc: Location) -> Iterator[Event]:
        try:
            reader: RangeReader
            if kind == "e01":
                reader, image = disk.EwfReader.open_path(path), "e01"
            elif (parts := disk.split_segments(path)) is not None:
                reader, image = disk.open_split(parts), "split"
            else:
                reader, image = FdReader.open(path), "raw"
        except Exception as err:
            yield SourceIssue(loc, "corrupt-filesystem", f"cannot open disk image: {one_line(err)}")
            return
        yield from self.disk(reader, loc, image, None)

    # ---- containers, wherever they are ---------------------------------------------------------------
    def expand(self, opener: Opener, size: int, loc: Location, budget: Budget | None) -> Iterator[Event]:
        try:
            head = _head(opener)
        except Exception as err:
            yield SourceIssue(loc, "unreadable", f"cannot read: {one_line(err)}")
            return
        kind = container_kind(head)
        if kind is None:
            yield from self.appended(opener, size, loc, budget)
            return
        if kind == "e01" and (ewf_segment(head) or 1) > 1:
            return
        if kind in ("disk", "e01"):
            if loc.depth >= self.limits.max_depth:
                yield _too_deep(loc, self.limits)
                return
            try:
                stream = opener()
                reader: RangeReader = (
                    disk.EwfReader([stream]) if kind == "e01" else StreamReader(stream, size)
                )
            except Exception as err:
                yield SourceIssue(loc, "corrupt-filesystem", f"cannot open disk image: {one_line(err)}")
                return
            yield from self.disk(reader, loc, "e01" if kind == "e01" else "raw", budget)
            return
        yield from self.archive(kind, opener, size, loc, budget)

    def appended(self, opener: Opener, size: int, loc: Location, budget: Budget | None) -> Iterator[Event]:
        """A zip appended to another file (a JPEG, an executable): a polyglot any unzip tool opens, so its
        members are evidence too. Zip is read from its end; other archives cannot be found this way."""
        try:
            with opener() as fh:
                found = has_appended_zip(fh, size)
        except Exception as err:
            yield SourceIssue(loc, "unreadable", f"cannot read: {one_line(err)}")
            return
        if found:
            yield from self.archive("zip", opener, size, loc, budget)

    def archive(
        self, kind: ContainerKind, opener: Opener, size: int, loc: Location, budget: Budget | None
    ) -> Iterator[Event]:
        if loc.depth >= self.limits.max_depth:
            yield _too_deep(loc, self.limits)
            return
        budget = budget or Budget(self.limits, size)  # the outermost archive starts the expansion budget
        try:
            stream = opener()
        except Exception as err:
            yield SourceIssue(loc, "unreadable", f"cannot read: {one_line(err)}")
            return
        with stream:
            if kind == "zip":
                events = archives.walk_zip(stream, size, loc, budget)
            elif kind == "tar":
                events = archives.walk_tar(stream, size, loc, budget)
            elif kind == "7z":
                events = archives.walk_7z(stream, size, loc, budget)
            else:
                events = archives.walk_compressed(kind, stream, size, loc, budget)
            try:
                for event in events:
                    if isinstance(event, SourceIssue):
                        yield event
                        continue
                    member_opener = _content_opener(event.content)
                    yield MediaItem(event.location, event.size, member_opener, times=event.times)
                    yield from self.expand(member_opener, event.size, event.location, budget)
            except Exception as err:  # a library bug on hostile input costs this archive, never the scan
                yield SourceIssue(loc, "corrupt-archive", f"unexpected {type(err).__name__}: {one_line(err)}")

    def disk(self, reader: RangeReader, loc: Location, image: str, budget: Budget | None) -> Iterator[Event]:
        try:
            for event in disk.walk_disk(reader, loc, image, self.limits):
                if isinstance(event, SourceIssue):
                    yield event
                    continue
                yield MediaItem(
                    event.location, event.size, event.open, deleted=event.deleted, times=event.times
                )
                if event.size > 0:
                    yield from self.expand(event.open, event.size, event.location, budget)
        except Exception as err:  # a library bug on hostile input costs this disk, never the scan
            yield SourceIssue(loc, "corrupt-filesystem", f"unexpected {type(err).__name__}: {one_line(err)}")


def _content_opener(content: bytes | Spill) -> Opener:
    if isinstance(content, bytes):
        return bytes_opener(content)
    return content.open


def _too_deep(loc: Location, limits: Limits) -> SourceIssue:
    return SourceIssue(
        loc,
        "too-deep",
        f"container nested deeper than max_depth={limits.max_depth}: kept as a file, not opened",
    )


def _link_issue(path: str, loc: Location) -> SourceIssue:
    try:
        os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return SourceIssue(loc, "symlink-loop", "symbolic link loops back on itself: skipped")
        return SourceIssue(loc, "symlink", "broken symbolic link: skipped")
    return SourceIssue(loc, "symlink", "symbolic link not followed (follow_symlinks is off)")


def _os_issue(loc: Location, err: OSError, what: str = "cannot read") -> SourceIssue:
    if err.errno == errno.ELOOP:
        return SourceIssue(loc, "symlink-loop", "symbolic link loops back on itself: skipped")
    return SourceIssue(loc, "unreadable", f"{what}: {err.strerror or one_line(err)}")
