"""Read one item again by its location: the scan's own walk, followed only along that location.

A stored location (``/cases/usb.E01 > partition 1 (...) > /DCIM/x.zip > zip:b.jpg``) names every hop from
the examiner's file inwards. The walk here is the one the scan made, so the same location means the same
item, but it opens only the containers on the way: the other members of an archive on the path are still
read (zip, tar and 7z give no cheaper way to skip to one member), no other container is opened.
"""

from __future__ import annotations

from collections.abc import Iterator

from netsafe.errors import NotFound
from netsafe.media.item import MediaItem, SourceIssue
from netsafe.media.limits import Budget, Limits
from netsafe.media.location import Location
from netsafe.media.sources import Event, Opener, _Walker


class ItemGoneError(NotFound):
    """The item is no longer where the scan found it (evidence moved, unmounted or changed)."""


class _Towards(_Walker):
    def __init__(self, limits: Limits, target: Location) -> None:
        super().__init__(limits)
        self.target = target.steps

    def expand(self, opener: Opener, size: int, loc: Location, budget: Budget | None) -> Iterator[Event]:
        n = len(loc.steps)
        if n >= len(self.target) or loc.steps != self.target[:n]:
            return iter(())  # not on the way to the item: never opened
        return super().expand(opener, size, loc, budget)


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
