"""Host tracing as a service: trace a confirmed report's host (hotline/trace.py), record the lookup, and
set the report's route and recipient. A host with nobody to send to (route ``unknown``, or police with
no police address configured) stays on the analyst's list (:func:`unrouted`), never silently skipped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict
from netsafe.hotline.common import at, change_state, get_report
from netsafe.hotline.fetch import Resolver
from netsafe.hotline.models import ReportRow, TraceRow
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Outcome, Status
from netsafe.hotline.trace import Trace, Tracer, trace_host
from netsafe.store.db import Database

TRACEABLE = frozenset({Status.ASSESSED, Status.TRACED, Status.NOTIFIED, Status.REMOVED})


def trace_out(reference: str, t: Trace) -> dict[str, Any]:
    return {
        "reference": reference,
        "ips": t.ips,
        "country": t.country,
        "asn": t.asn,
        "organisation": t.organisation,
        "abuse_contact": t.abuse_contact,
        "route": t.route,
        "partner": t.partner.name if t.partner else None,
        "to": t.recipient,
        "note": t.note,
        "error": t.error,
    }


def apply_trace(session: Session, actor: Actor, report: ReportRow, t: Trace, when: datetime) -> bool:
    """Record ``t`` for ``report`` and route it; True when the route or recipient changed."""
    session.add(
        TraceRow(
            report_id=report.id,
            at=when,
            host=t.host[:255],
            ips=list(t.ips)[:50],
            country=t.country,
            asn=t.asn,
            organisation=(t.organisation or None),
            abuse_contact=t.recipient,
            route=t.route,
            partner=t.partner.name if t.partner else None,
            source=t.source[:32],
            error=t.error,
        )
    )
    moved = (report.route, report.abuse_contact) != (t.route, t.recipient) and report.route is not None
    report.country, report.route, report.abuse_contact = t.country, t.route, t.recipient
    report.traced_at = when
    details = {
        "ips": list(t.ips)[:10],
        "country": t.country,
        "asn": t.asn,
        "route": t.route,
        "to": t.recipient,
        "source": t.source,
        "moved": moved,
    }
    if report.status == Status.ASSESSED:
        change_state(session, actor, report, Status.TRACED, when, "hotline.trace", details)
    else:
        record(session, actor, "hotline.trace", f"report:{report.reference}", details)
    return moved


def trace(
    db: Database,
    actor: Actor,
    reference: str,
    *,
    settings: HotlineSettings,
    tracer: Tracer | None = None,
    resolver: Resolver | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Trace report ``reference``'s host. Raises NotFound, or Conflict for a report not confirmed."""
    with db.session() as session:
        report = get_report(session, reference)
        _check(report)
        host, ref = report.host, report.reference
    found = trace_host(host, settings=settings, resolver=resolver, tracer=tracer)
    with db.session() as session:
        report = get_report(session, ref, lock=True)
        _check(report)
        apply_trace(session, actor, report, found, at(now))
    return trace_out(ref, found)


def _check(report: ReportRow) -> None:
    if report.outcome != Outcome.CRIMINAL or report.status not in TRACEABLE:
        raise Conflict(f"report {report.reference} is {report.status}: only a confirmed report is traced")


def unrouted(db: Database) -> list[dict[str, Any]]:
    """Confirmed reports traced to nobody: the analyst's list."""
    with db.session() as session:
        rows = session.scalars(
            select(ReportRow)
            .where(ReportRow.status.in_([Status.TRACED.value, Status.NOTIFIED.value]))
            .where(ReportRow.abuse_contact.is_(None))
            .order_by(ReportRow.traced_at, ReportRow.id)
        ).all()
        return [
            {"reference": r.reference, "url": r.url, "host": r.host, "country": r.country, "route": r.route}
            for r in rows
        ]
