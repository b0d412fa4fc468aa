"""Intake: a reported URL becomes a report, checked and deduplicated, in one transaction with its event.

A URL already confirmed and still live makes a duplicate (``duplicate_of`` the first report, closed at
once); a URL whose first report still waits for assessment is linked to that report (``linked_to``) and
assessed with it. The public form's reports carry no address and no user agent: its actor is ``public``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput
from netsafe.hotline.common import at, change_state, new_reference
from netsafe.hotline.models import HistoryRow, ReportRow
from netsafe.hotline.states import LIVE, PENDING, Outcome, Status
from netsafe.hotline.urls import normalise
from netsafe.store.db import Database

MAX_BATCH = 1000
MAX_DESCRIPTION = 5000
MAX_EMAIL = 320
PUBLIC = Actor("public")  # the public form: nobody is named and no address is kept


@dataclass(frozen=True, slots=True)
class NewReport:
    url: str
    description: str | None = None
    email: str | None = None
    where: str = "url"  # names the field in errors (``reports[3].url`` in a batch)


@dataclass(frozen=True, slots=True)
class Intake:
    reference: str
    status: str
    duplicate_of: str | None
    linked_to: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "status": self.status,
            "duplicate_of": self.duplicate_of,
            "linked_to": self.linked_to,
        }


def check_email(text: str | None, field: str = "email") -> str | None:
    value = (text or "").strip()
    if not value:
        return None
    local, sep, domain = value.rpartition("@")
    if (
        len(value) > MAX_EMAIL
        or not sep
        or not local
        or "." not in domain
        or any(ch.isspace() or not ch.isprintable() for ch in value)
    ):
        raise InvalidInput(f"{field}: not an email address (leave it empty to stay anonymous)")
    return value


def check_description(text: str | None, field: str = "description") -> str | None:
    value = (text or "").strip()
    if len(value) > MAX_DESCRIPTION:
        raise InvalidInput(f"{field}: at most {MAX_DESCRIPTION} characters")
    return value or None


def submit(
    db: Database, actor: Actor, items: Sequence[NewReport], source: str, now: datetime | None = None
) -> list[Intake]:
    """Store the reports (all or none: a bad one raises InvalidInput naming its field) and return their
    references in order."""
    if not items:
        raise InvalidInput("reports: give at least one URL")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"reports: at most {MAX_BATCH} in one request, got {len(items)}")
    checked = [
        (
            normalise(item.url, item.where),
            check_description(item.description, _sibling(item.where, "description")),
            check_email(item.email, _sibling(item.where, "email")),
        )
        for item in items
    ]
    when = at(now)
    for attempt in range(3):
        try:
            return _store(db, actor, checked, source[:200], when)
        except IntegrityError:  # two references alike (1 in 887 million): draw again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _sibling(where: str, name: str) -> str:
    head, dot, _ = where.rpartition(".")
    return f"{head}.{name}" if dot else name


def _store(
    db: Database,
    actor: Actor,
    checked: list[tuple[Any, str | None, str | None]],
    source: str,
    when: datetime,
) -> list[Intake]:
    out: list[Intake] = []
    with db.session() as session:
        for url, description, email in checked:
            earlier = session.scalars(
                select(ReportRow)
                .where(ReportRow.normalised_url == url.normalised, ReportRow.duplicate_of.is_(None))
                .where(ReportRow.linked_to.is_(None))
                .order_by(ReportRow.id)
            ).all()
            live = next((r for r in earlier if r.status in LIVE and r.outcome == Outcome.CRIMINAL), None)
            pending = next((r for r in earlier if r.status in PENDING), None)
            row = ReportRow(
                reference=new_reference(when),
                url=url.original,
                normalised_url=url.normalised,
                host=url.host,
                description=description,
                email=email,
                source=source,
                status=Status.RECEIVED.value,
                received_at=when,
                notices_sent=0,
                linked_to=pending.id if pending is not None and live is None else None,
            )
            session.add(row)
            session.flush()
            session.add(
                HistoryRow(
                    report_id=row.id, at=when, actor=actor.name[:200], from_status=None, to_status="received"
                )
            )
            details: dict[str, Any] = {"source": source, "host": url.host}
            if pending is not None and live is None:
                details["linked_to"] = pending.reference
            record(session, actor, "hotline.report", f"report:{row.reference}", details)
            if live is not None:
                row.duplicate_of = live.id
                row.outcome = Outcome.DUPLICATE.value
                row.closed_at = when
                change_state(
                    session,
                    actor,
                    row,
                    Status.CLOSED,
                    when,
                    "hotline.duplicate",
                    {"duplicate_of": live.reference},
                    note=f"duplicate of {live.reference}",
                )
            out.append(
                Intake(
                    row.reference,
                    row.status,
                    live.reference if live is not None else None,
                    pending.reference if pending is not None and live is None else None,
                )
            )
    return out
