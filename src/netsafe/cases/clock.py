"""The response clock: each case's deadline, the queue's order, overdue marks and the inspectorate's figures.

Pure functions over :class:`Clocked` snapshots and a given ``today``, so the order and the figures can be
checked under any date (the services pass the real one, or the one a caller asks for).

- A case's deadline is its received date plus its level's target (from the model that assessed it). Until
  it is assessed, the most urgent level's target applies: an unassessed referral may be Very High.
- The clock stops at the first enforcement action (``vocab.ENFORCEMENT``); a case is overdue while its
  clock runs past the deadline. Closed cases leave the queue.
- The queue: cases waiting for their first action before those whose clock has stopped; within each, the
  unassessed first, then by level (highest first), then by days left (fewest first), then by age.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from typing import Any

NOT_ASSESSED = "not_assessed"
NOT_ASSESSED_LABEL = "Not assessed"


@dataclass(slots=True)
class Clocked:
    reference: str
    status: str
    received: date
    level: str | None
    level_label: str | None
    level_rank: int | None
    deadline: date
    first_action: date | None
    closed: date | None
    operation: str | None = None

    @property
    def stopped(self) -> bool:
        return self.first_action is not None

    def days_left(self, today: date) -> int | None:
        return None if self.stopped else (self.deadline - today).days

    def overdue(self, today: date) -> bool:
        return not self.stopped and self.closed is None and today > self.deadline

    def met_target(self) -> bool | None:
        return None if self.first_action is None else self.first_action <= self.deadline

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "level": self.level,
            "level_label": self.level_label or NOT_ASSESSED_LABEL,
            "deadline": self.deadline.isoformat(),
            "overdue": self.overdue(today),
            "status": self.status,
            "received": self.received.isoformat(),
            "days_left": self.days_left(today),
            "clock": "stopped" if self.stopped else "running",
            "first_action": None if self.first_action is None else self.first_action.isoformat(),
            "operation": self.operation,
        }


def queue_key(case: Clocked, today: date) -> tuple[bool, int, int, date, str]:
    rank = -1 if case.level_rank is None else case.level_rank
    left = case.days_left(today)
    return (case.stopped, rank, 0 if left is None else left, case.received, case.reference)


def queue(cases: list[Clocked], today: date, include_closed: bool = False) -> list[Clocked]:
    shown = [c for c in cases if include_closed or c.closed is None]
    return sorted(shown, key=lambda c: queue_key(c, today))


@dataclass(slots=True)
class LevelInfo:
    id: str
    label: str
    target_days: int


def figures(cases: list[Clocked], levels: list[LevelInfo], today: date) -> dict[str, Any]:
    """Cases by level, median days to first action, share meeting the target (cases acted on, and open
    ones already past their deadline, which can no longer meet it), overdue counts, the oldest open case."""
    rows: list[dict[str, Any]] = []
    known = {lv.id for lv in levels}
    groups: list[tuple[str, str, int | None]] = [(lv.id, lv.label, lv.target_days) for lv in levels]
    groups.append((NOT_ASSESSED, NOT_ASSESSED_LABEL, None))
    for level_id, label, target in groups:
        mine = [c for c in cases if (c.level if c.level in known else NOT_ASSESSED) == level_id]
        acted = [c for c in mine if c.first_action is not None]
        waits = [(c.first_action - c.received).days for c in acted if c.first_action is not None]
        late_open = [c for c in mine if c.overdue(today)]
        met = sum(1 for c in acted if c.met_target())
        measured = len(acted) + len(late_open)
        rows.append(
            {
                "level": level_id,
                "label": label,
                "target_days": target,
                "cases": len(mine),
                "open": sum(1 for c in mine if c.closed is None),
                "overdue": len(late_open),
                "acted": len(acted),
                "median_days_to_first_action": None if not waits else statistics.median(waits),
                "met_target": met,
                "measured": measured,
                "share_meeting_target": None if measured == 0 else round(met / measured, 4),
            }
        )
    open_cases = [c for c in cases if c.closed is None]
    oldest = min(open_cases, key=lambda c: (c.received, c.reference), default=None)
    return {
        "as_of": today.isoformat(),
        "cases": len(cases),
        "open": len(open_cases),
        "overdue": sum(1 for c in cases if c.overdue(today)),
        "levels": rows,
        "oldest_open": None
        if oldest is None
        else {
            "reference": oldest.reference,
            "received": oldest.received.isoformat(),
            "age_days": (today - oldest.received).days,
            "level_label": oldest.level_label or NOT_ASSESSED_LABEL,
        },
    }
