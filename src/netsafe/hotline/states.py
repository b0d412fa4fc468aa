"""A report's states and outcomes, and which changes of state are allowed.

``received -> captured -> assessed -> traced -> notified -> removed``, or ``closed`` (not criminal, outside
remit, a duplicate, or closed by an analyst). A removed URL that comes back is reopened (``notified``).
"""

from __future__ import annotations

from enum import StrEnum

from netsafe.errors import Conflict, InvalidInput


class Status(StrEnum):
    RECEIVED = "received"
    CAPTURED = "captured"
    ASSESSED = "assessed"
    TRACED = "traced"
    NOTIFIED = "notified"
    REMOVED = "removed"
    CLOSED = "closed"


class Outcome(StrEnum):
    CRIMINAL = "criminal"
    NOT_CRIMINAL = "not_criminal"
    DUPLICATE = "duplicate"
    OUTSIDE_REMIT = "outside_remit"


# Reports waiting for an analyst: a new report of the same URL is linked to the first, assessed once.
PENDING = frozenset({Status.RECEIVED, Status.CAPTURED})
# Confirmed and (as far as is known) still live: a new report of the same URL is a duplicate.
LIVE = frozenset({Status.ASSESSED, Status.TRACED, Status.NOTIFIED})

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.CAPTURED, Status.ASSESSED, Status.CLOSED}),
    Status.CAPTURED: frozenset({Status.CAPTURED, Status.ASSESSED, Status.CLOSED}),
    Status.ASSESSED: frozenset({Status.TRACED, Status.CLOSED}),
    Status.TRACED: frozenset({Status.TRACED, Status.NOTIFIED, Status.CLOSED}),
    Status.NOTIFIED: frozenset({Status.TRACED, Status.NOTIFIED, Status.REMOVED, Status.CLOSED}),
    Status.REMOVED: frozenset({Status.NOTIFIED, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.ASSESSED}),  # an appeal that finds it criminal after all
}


class StateError(Conflict):
    """A change the report's state does not allow (e.g. notifying a report not yet traced)."""


def parse_status(text: str) -> Status:
    try:
        return Status(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"status: unknown status {text!r}: choose one of {', '.join(s.value for s in Status)}"
        ) from None


def check_change(reference: str, current: str, target: Status) -> None:
    if target not in ALLOWED[Status(current)]:
        raise StateError(f"report {reference} is {current}: it cannot become {target.value}")
