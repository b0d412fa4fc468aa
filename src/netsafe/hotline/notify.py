"""Notice and takedown as a service: who is due a notice, re-traced first, grouped per recipient (one
email per abuse contact, partner or police, with every URL), sent (or left awaiting authorisation), and
each report's notice, state change and audit event recorded.

Due: a report traced and confirmed at least ``first_notice_delay_minutes`` ago that has had no notice, a
notified report not yet removed whose last notice is ``resend_hours`` old (the notice is sent again with
the attempt count), or a removed report whose content came back (reopened: at once). A report whose
notice awaits authorisation is not due again until it is decided.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import or_, select

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, NotFound
from netsafe.hotline import notices
from netsafe.hotline.common import at, aware, change_state
from netsafe.hotline.fetch import Resolver
from netsafe.hotline.models import NoticeRow, ReportRow
from netsafe.hotline.notices import SendResult
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Outcome, Status
from netsafe.hotline.trace import Trace, Tracer
from netsafe.hotline.tracing import apply_trace
from netsafe.store.db import Database

AWAITING = "awaiting_authorisation"
SENT = "sent"
FAILED = "failed"
REFUSED = "refused"
Sender = Callable[[Sequence[EmailMessage], HotlineSettings], list[SendResult]]
MAX_PER_RUN = 5000


def _send(messages: Sequence[EmailMessage], settings: HotlineSettings) -> list[SendResult]:
    return notices.send(messages, settings)


@dataclass(slots=True)
class _Due:
    id: int
    reference: str
    url: str
    host: str
    attempt: int


def due(db: Database, settings: HotlineSettings, now: datetime) -> list[_Due]:
    first_before = now - timedelta(minutes=settings.first_notice_delay_minutes)
    again_before = now - timedelta(hours=settings.resend_hours)
    with db.session() as session:
        waiting = select(NoticeRow.report_id).where(NoticeRow.status == AWAITING)
        rows = session.scalars(
            select(ReportRow)
            .where(ReportRow.outcome == Outcome.CRIMINAL.value, ReportRow.id.not_in(waiting))
            .where(
                or_(
                    (ReportRow.status == Status.TRACED.value) & (ReportRow.assessed_at <= first_before),
                    (ReportRow.status == Status.NOTIFIED.value)
                    & or_(ReportRow.last_notice_at.is_(None), ReportRow.last_notice_at <= again_before),
                )
            )
            .order_by(ReportRow.assessed_at, ReportRow.id)
            .limit(MAX_PER_RUN)
        ).all()
        return [_Due(r.id, r.reference, r.normalised_url, r.host, r.notices_sent + 1) for r in rows]


def notify(
    db: Database,
    actor: Actor,
    *,
    settings: HotlineSettings,
    tracer: Tracer | None = None,
    resolver: Resolver | None = None,
    sender: Sender = _send,
    now: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Send the notices due at ``now``. Returns ``{"sent", "awaiting", "failed", "unrouted"}``, lists of
    ``{"reference", "to", "kind", "attempt"}`` (``error`` on failures)."""
    when = at(now)
    todo = due(db, settings, when)
    own = tracer is None
    tracer = tracer or Tracer.from_settings(settings)
    try:
        traces = {d.id: tracer.trace(d.host, resolver=resolver) for d in todo}
    finally:
        if own:
            tracer.close()
    groups: dict[tuple[str, str], list[tuple[_Due, Trace]]] = {}
    unrouted: list[dict[str, Any]] = []
    with db.session() as session:
        for d in todo:
            t = traces[d.id]
            report = session.get(ReportRow, d.id)
            assert report is not None
            apply_trace(session, actor, report, t, when)  # the host may have moved: a new route
            if t.recipient is None or t.route == "unknown":
                unrouted.append({"reference": d.reference, "to": None, "kind": None, "attempt": d.attempt})
                continue
            groups.setdefault((t.recipient, _kind(t)), []).append((d, t))
    out: dict[str, list[dict[str, Any]]] = {"sent": [], "awaiting": [], "failed": [], "unrouted": unrouted}
    batches = []
    for (to, kind), members in groups.items():
        attempt = max(d.attempt for d, _ in members)
        batches.append((secrets.token_hex(8), to, kind, attempt, members))
    if settings.notices_need_authorisation:
        with db.session() as session:
            for batch, to, kind, _attempt, members in batches:
                for d, _t in members:
                    session.add(_notice(d, batch, to, kind, AWAITING, when))
                    out["awaiting"].append(_line(d, to, kind))
                record(
                    session,
                    actor,
                    "hotline.notice.wait",
                    f"notice:{batch}",
                    {"to": to, "kind": kind, "reports": [d.reference for d, _ in members]},
                )
        return out
    messages = [
        _compose(to, kind, attempt, members, settings, when) for _b, to, kind, attempt, members in batches
    ]
    results = sender(messages, settings) if messages else []
    with db.session() as session:
        for (batch, to, kind, _attempt, members), result in zip(batches, results, strict=True):
            _record_sent(session, actor, batch, to, kind, [d for d, _ in members], result, when, out)
    return out


def _kind(t: Trace) -> str:
    return "host" if t.route == "host" else "partner" if t.route == "partner" else "police"


def _line(d: _Due, to: str, kind: str) -> dict[str, Any]:
    return {"reference": d.reference, "to": to, "kind": kind, "attempt": d.attempt}


def _notice(d: _Due, batch: str, to: str, kind: str, status: str, when: datetime) -> NoticeRow:
    return NoticeRow(
        report_id=d.id, batch=batch, to=to[:320], kind=kind, attempt=d.attempt, status=status, created_at=when
    )


def _compose(
    to: str,
    kind: str,
    attempt: int,
    members: list[tuple[_Due, Trace]],
    settings: HotlineSettings,
    when: datetime,
) -> EmailMessage:
    first = members[0][1]
    context = {
        "organisation": first.organisation,
        "asn": first.asn,
        "hosting_country": first.country,
        "partner_name": first.partner.name if first.partner else None,
    }
    return notices.compose(
        kind,  # type: ignore[arg-type]
        to,
        [d.url for d, _ in members],
        attempt,
        [d.reference for d, _ in members],
        settings,
        context=context,
        now=when,
    )


def _record_sent(
    session: Any,
    actor: Actor,
    batch: str,
    to: str,
    kind: str,
    members: list[_Due],
    result: SendResult,
    when: datetime,
    out: dict[str, list[dict[str, Any]]],
    authorised_by: str | None = None,
) -> None:
    for d in members:
        report = session.get(ReportRow, d.id)
        assert report is not None
        row = _notice(d, batch, to, kind, SENT if result.ok else FAILED, when)
        row.authorised_by = authorised_by
        if result.ok:
            row.sent_at = when
            session.add(row)
            report.notices_sent = d.attempt
            report.first_notice_at = report.first_notice_at or when
            report.last_notice_at = when
            report.next_check_at = when
            details = {"to": to, "kind": kind, "attempt": d.attempt, "batch": batch}
            if report.status == Status.NOTIFIED:
                record(session, actor, "hotline.notice", f"report:{report.reference}", details)
            else:
                change_state(session, actor, report, Status.NOTIFIED, when, "hotline.notice", details)
            out["sent"].append(_line(d, to, kind))
        else:
            row.error = (result.error or "not sent")[:2000]
            session.add(row)
            record(
                session,
                actor,
                "hotline.notice",
                f"report:{report.reference}",
                {"to": to, "kind": kind, "attempt": d.attempt, "error": row.error[:300]},
                outcome="failed",
            )
            out["failed"].append(_line(d, to, kind) | {"error": row.error})


def awaiting(db: Database) -> list[dict[str, Any]]:
    """Notices waiting for authorisation, one entry per batch (one email)."""
    with db.session() as session:
        rows = session.execute(
            select(NoticeRow, ReportRow.reference, ReportRow.normalised_url)
            .join(ReportRow, ReportRow.id == NoticeRow.report_id)
            .where(NoticeRow.status == AWAITING)
            .order_by(NoticeRow.created_at, NoticeRow.id)
        ).all()
        batches: dict[str, dict[str, Any]] = {}
        for notice, reference, url in rows:
            entry = batches.setdefault(
                notice.batch,
                {
                    "batch": notice.batch,
                    "to": notice.to,
                    "kind": notice.kind,
                    "created_at": _iso(notice.created_at),
                    "reports": [],
                },
            )
            entry["reports"].append({"reference": reference, "url": url, "attempt": notice.attempt})
        return list(batches.values())


def _iso(value: datetime | None) -> str | None:
    found = aware(value)
    return found.isoformat() if found else None


def authorise(
    db: Database,
    actor: Actor,
    authoriser: str,
    batch: str,
    *,
    approve: bool = True,
    settings: HotlineSettings,
    sender: Sender = _send,
    now: datetime | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Approve (send now) or refuse the notice ``batch`` awaiting authorisation."""
    when = at(now)
    with db.session() as session:
        rows = session.execute(
            select(NoticeRow, ReportRow)
            .join(ReportRow, ReportRow.id == NoticeRow.report_id)
            .where(NoticeRow.batch == batch.strip()[:64])
            .order_by(NoticeRow.id)
        ).all()
        if not rows:
            raise NotFound(f"no notice {batch.strip()[:64]!r}")
        if any(n.status != AWAITING for n, _ in rows):
            raise Conflict(f"notice {batch.strip()[:64]} was decided already")
        to, kind = rows[0][0].to, rows[0][0].kind
        members = [_Due(r.id, r.reference, r.normalised_url, r.host, n.attempt) for n, r in rows]
        notice_ids = [n.id for n, _ in rows]
    out: dict[str, list[dict[str, Any]]] = {"sent": [], "awaiting": [], "failed": [], "unrouted": []}
    if not approve:
        with db.session() as session:
            for nid in notice_ids:
                row = session.get(NoticeRow, nid)
                assert row is not None
                row.status, row.authorised_by = REFUSED, authoriser[:200]
            record(session, actor, "hotline.notice.refuse", f"notice:{batch}", {"to": to, "by": authoriser})
        return out
    message = notices.compose(
        kind,  # type: ignore[arg-type]
        to,
        [m.url for m in members],
        max(m.attempt for m in members),
        [m.reference for m in members],
        settings,
        now=when,
    )
    result = sender([message], settings)[0]
    with db.session() as session:
        for nid in notice_ids:
            row = session.get(NoticeRow, nid)
            assert row is not None
            session.delete(row)  # replaced by the sent (or failed) notice, which names who authorised it
        record(session, actor, "hotline.notice.authorise", f"notice:{batch}", {"to": to, "by": authoriser})
        _record_sent(
            session, actor, batch, to, kind, members, result, when, out, authorised_by=authoriser[:200]
        )
    return out
