"""Read one item again by its location: the scan's own walk, followed only along that location.

A stored location (``/cases/usb.E01 > partition 1 (...) > /DCIM/x.zip > zip:b.jpg``) names every hop from
the examiner's file inwards. The walk here is the one the scan made, so the same location means the same
item, but it opens only the containers on the way. A zip on the way is read from its directory straight to
the member named (one member read, not all of them before it); tar and 7z have no directory to jump with,
so their members before the one named are read and dropped.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from netsafe.errors import NotFound
from netsafe.media import archives
from netsafe.media.blobs import Spill
from netsafe.media.item import MediaItem, SourceIssue
from netsafe.media.limits import Budget, Layer, LimitError, Limits
from netsafe.media.location import Location
from netsafe.media.sniff import ContainerKind
from netsafe.media.sources import Event, Opener, _content_opener, _Walker


class ItemGoneError(NotFound):
    """The item is no longer where the scan found it (evidence moved, unmounted or changed)."""


class _Towards(_Walker):
    def __init__(self, limits: Limits, target: Location) -> None:
        super().__init__(limits)
        self.target = target.steps

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
        if kind == "zip" and self.on_the_way(loc) and loc.depth < self.limits.max_depth:
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

    def _member(self, content: bytes | Spill, where: Location, budget: Budget) -> Iterator[Event]:
        size = len(content) if isinstance(content, bytes) else content.size
        member_opener = _content_opener(content)
        yield MediaItem(where, size, member_opener)
        yield from self.expand(member_opener, size, where, budget)


def read_item(location: Location, limits: Limits) -> bytes:
    """The bytes of the item at ``location``; :class:`ItemGoneError` when it cannot be read there.

    ``limits.max_file_size`` caps the item and every container on the way; give ``max_member_in_memory``
    above it so that nothing is ever spilled to a temporary file."""
    if not location.steps or location.steps[0].kind != "file":
        raise ItemGoneError("the item's location does not start with a file on this machine")
    walker = _Towards(limits, location)
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
