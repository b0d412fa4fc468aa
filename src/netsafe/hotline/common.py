"""What every hotline operation shares: the clock, finding a report, and changing its state with its
history row and audit event in the caller's transaction."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput, NotFound
from netsafe.hotline.models import HistoryRow, ReportRow
from netsafe.hotline.states import Status, check_change

Clock = Callable[[], datetime]
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


def utcnow() -> datetime:
    return datetime.now(UTC)


def at(now: datetime | None) -> datetime:
    """``now`` (a test's clock) or the time; always aware UTC."""
    value = now or utcnow()
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def aware(value: datetime | None) -> datetime | None:
    """A time read back from the store (SQLite returns naive UTC)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def new_reference(when: datetime) -> str:
    return f"HL-{when:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


class ReportNotFoundError(NotFound):
    pass


def check_reference(text: str) -> str:
    ref = text.strip().upper()
    if not ref or len(ref) > 32 or not all(ch.isalnum() or ch == "-" for ch in ref):
        raise InvalidInput("reference: a report reference looks like HL-20261204-AB23CD")
    return ref


def get_report(session: Session, reference: str, *, lock: bool = False) -> ReportRow:
    query = select(ReportRow).where(ReportRow.reference == check_reference(reference))
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise ReportNotFoundError(f"no report with reference {reference.strip()[:40]!r}")
    return row


def change_state(
    session: Session,
    actor: Actor,
    report: ReportRow,
    target: Status,
    when: datetime,
    action: str,
    details: dict[str, Any] | None = None,
    note: str | None = None,
    check: bool = True,
) -> None:
    """Move ``report`` to ``target`` (checked against the allowed changes), with its history row and an
    audit event ``action`` in the same transaction."""
    before = report.status
    if check:
        check_change(report.reference, before, target)
    report.status = target.value
    session.add(
        HistoryRow(
            report_id=report.id,
            at=when,
            actor=actor.name[:200],
            from_status=before,
            to_status=target.value,
            note=note,
        )
    )
    record(
        session,
        actor,
        action,
        f"report:{report.reference}",
        {"from": before, "to": target.value, **(details or {})},
    )
