"""Wellbeing: each user's review settings (how thumbnails are shown to them) and exposure (items unblurred,
time in review, by UTC day). A user sees their own exposure; an admin sees only totals, never a person's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput
from netsafe.review.access import reviewer
from netsafe.review.models import ReviewExposureRow, ReviewItemRow, ReviewPrefsRow
from netsafe.review.queue import NoSuchItemError
from netsafe.review.settings import ReviewSettings
from netsafe.store import Database

BLUR_RANGE = (0, 100)  # 0: sharp; 100: the strongest blur
SIZE_RANGE = (64, 512)  # thumbnail edge in pixels
# One report of time in review covers at most this: a page reports every minute or so, and a tab left
# open overnight must not count as a night of looking.
MAX_SECONDS_PER_REPORT = 300.0


@dataclass(frozen=True, slots=True)
class ReviewPrefs:
    blur: int = 60
    colour: bool = False  # greyscale by default
    size: int = 160

    def as_dict(self) -> dict[str, Any]:
        return {"blur": self.blur, "colour": self.colour, "size": self.size}


def get_prefs(db: Database, user: str) -> ReviewPrefs:
    with db.session() as session:
        who = reviewer(session, user)
        row = session.get(ReviewPrefsRow, who.name)
        return ReviewPrefs() if row is None else ReviewPrefs(row.blur, row.colour, row.size)


def save_prefs(db: Database, actor: Actor, user: str, *, blur: int, colour: bool, size: int) -> ReviewPrefs:
    if not BLUR_RANGE[0] <= blur <= BLUR_RANGE[1]:
        raise InvalidInput(f"blur: must be {BLUR_RANGE[0]}-{BLUR_RANGE[1]}, got {blur}")
    if not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
        raise InvalidInput(f"size: must be {SIZE_RANGE[0]}-{SIZE_RANGE[1]} pixels, got {size}")
    with db.session() as session:
        who = reviewer(session, user)
        row = session.get(ReviewPrefsRow, who.name)
        stamp = datetime.now(UTC)
        if row is None:
            session.add(ReviewPrefsRow(user=who.name, blur=blur, colour=colour, size=size, updated=stamp))
        else:
            row.blur, row.colour, row.size, row.updated = blur, colour, size, stamp
        prefs = ReviewPrefs(blur, bool(colour), size)
        record(session, actor, "review.settings", f"user:{who.name}", prefs.as_dict())
        return prefs


def _day(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(UTC).date().isoformat()


def _row(session: Session, user: str, day: str) -> ReviewExposureRow:
    row = session.scalars(
        select(ReviewExposureRow).where(ReviewExposureRow.user == user, ReviewExposureRow.day == day)
    ).one_or_none()
    if row is None:
        row = ReviewExposureRow(user=user, day=day, unblurred=0, seconds=0.0)
        session.add(row)
        session.flush()
    return row


def record_unblur(db: Database, actor: Actor, user: str, item_id: int) -> int:
    """``user`` unblurred review item ``item_id``: an audit event, and one more item seen today.
    Returns the user's items unblurred today."""
    with db.session() as session:
        who = reviewer(session, user)
        item = session.get(ReviewItemRow, item_id)
        if item is None:
            raise NoSuchItemError(f"no review item with id {item_id}")
        row = _row(session, who.name, _day())
        row.unblurred += 1
        record(session, actor, "review.unblur", f"scan:{item.scan_id}", {"user": who.name, "item": item.id})
        return row.unblurred


def record_time(db: Database, user: str, seconds: float) -> float:
    """Add time ``user`` spent on a review page (reported by the page); returns today's seconds. Not an
    audit event: it is a measure of wellbeing, not an action on evidence."""
    if not 0 < seconds <= MAX_SECONDS_PER_REPORT:
        raise InvalidInput(f"seconds: must be more than 0 and at most {MAX_SECONDS_PER_REPORT:.0f}")
    with db.session() as session:
        who = reviewer(session, user)
        row = _row(session, who.name, _day())
        row.seconds += float(seconds)
        return row.seconds


@dataclass(frozen=True, slots=True)
class Exposure:
    today_items: int
    today_minutes: float
    week_items: int
    week_minutes: float
    break_reminder_minutes: int
    break_due: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": {"items": self.today_items, "minutes": round(self.today_minutes, 1)},
            "week": {"items": self.week_items, "minutes": round(self.week_minutes, 1)},
            "break_reminder_minutes": self.break_reminder_minutes,
            "break_due": self.break_due,
        }


def _week(today: date) -> list[str]:
    return [(today - timedelta(days=n)).isoformat() for n in range(7)]


def my_exposure(db: Database, settings: ReviewSettings, user: str, today: date | None = None) -> Exposure:
    """``user``'s own exposure: today (UTC) and the last seven days."""
    day = today or datetime.now(UTC).date()
    with db.session() as session:
        who = reviewer(session, user)
        rows = {
            r.day: r
            for r in session.scalars(
                select(ReviewExposureRow).where(
                    ReviewExposureRow.user == who.name, ReviewExposureRow.day.in_(_week(day))
                )
            )
        }
    now = rows.get(day.isoformat())
    today_items, today_minutes = (now.unblurred, now.seconds / 60) if now else (0, 0.0)
    reminder = settings.break_reminder_minutes
    return Exposure(
        today_items,
        today_minutes,
        sum(r.unblurred for r in rows.values()),
        sum(r.seconds for r in rows.values()) / 60,
        reminder,
        bool(reminder) and today_minutes >= reminder,
    )


@dataclass(frozen=True, slots=True)
class ExposureTotals:
    users: int
    today_items: int
    today_minutes: float
    week_items: int
    week_minutes: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "today": {"items": self.today_items, "minutes": round(self.today_minutes, 1)},
            "week": {"items": self.week_items, "minutes": round(self.week_minutes, 1)},
        }


def exposure_totals(db: Database, user: str, today: date | None = None) -> ExposureTotals:
    """All reviewers' exposure summed (admin only): how much looking the unit does, never who did it."""
    day = today or datetime.now(UTC).date()
    with db.session() as session:
        reviewer(session, user, Permission.ADMIN)
        week = _week(day)
        row = session.execute(
            select(
                func.count(func.distinct(ReviewExposureRow.user)),
                func.coalesce(func.sum(ReviewExposureRow.unblurred), 0),
                func.coalesce(func.sum(ReviewExposureRow.seconds), 0.0),
            ).where(ReviewExposureRow.day.in_(week))
        ).one()
        today_row = session.execute(
            select(
                func.coalesce(func.sum(ReviewExposureRow.unblurred), 0),
                func.coalesce(func.sum(ReviewExposureRow.seconds), 0.0),
            ).where(ReviewExposureRow.day == day.isoformat())
        ).one()
    return ExposureTotals(
        int(row[0]), int(today_row[0]), float(today_row[1]) / 60, int(row[1]), float(row[2]) / 60
    )
