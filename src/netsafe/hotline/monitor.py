"""Monitoring to removal, and the retention of captured bytes.

Every notified report is re-fetched on a schedule (``monitor_interval_minutes``): removed means 404/410,
DNS failure, refused connection, or no confirmed item left on the page (hotline/removal.py). The time
from the first notice to removal is recorded; a removed URL whose content comes back is reopened (and is
due a notice again). Runs as ``netsafe hotline monitor --once`` (cron) and inside ``netsafe serve``,
where one worker at a time holds the lease (``hotline_monitor_lease``) and the others stand by.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from netsafe.audit.service import Actor, record
from netsafe.hotline.capture import Fetcher
from netsafe.hotline.common import at, aware, change_state
from netsafe.hotline.fetch import fetch
from netsafe.hotline.models import (
    AssessmentRow,
    CheckRow,
    ItemAssessmentRow,
    ItemRow,
    MonitorLeaseRow,
    ReportRow,
)
from netsafe.hotline.removal import Removal, check_removed
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Status
from netsafe.hotline.storage import capture_dir
from netsafe.hotline.vault import Vault
from netsafe.store.db import Database

LEASE_ID = 1
ORPHAN_GRACE = timedelta(hours=1)
MAX_PER_RUN = 2000


def confirmed_hashes(db: Database, report_id: int) -> tuple[set[str], set[str]]:
    """SHA-256 and PDQ of the report's confirmed items: graded in its latest assessment or known by hash;
    every captured item when the assessment graded the page as a whole."""
    with db.session() as session:
        items = {i.id: i for i in session.scalars(select(ItemRow).where(ItemRow.report_id == report_id))}
        latest = session.scalars(
            select(AssessmentRow.id)
            .where(AssessmentRow.report_id == report_id)
            .order_by(AssessmentRow.id.desc())
        ).first()
        graded: set[int] = set()
        if latest is not None:
            graded = {
                ia.item_id
                for ia in session.scalars(
                    select(ItemAssessmentRow).where(
                        ItemAssessmentRow.assessment_id == latest, ItemAssessmentRow.category.is_not(None)
                    )
                )
            }
        chosen = [i for i in items.values() if i.id in graded or i.known_category]
        if not chosen:
            chosen = list(items.values())
        return {i.sha256 for i in chosen if i.sha256}, {i.pdq for i in chosen if i.pdq}


def monitor(
    db: Database,
    actor: Actor,
    *,
    settings: HotlineSettings,
    fetcher: Fetcher = fetch,
    now: datetime | None = None,
    every: bool = False,
) -> list[dict[str, Any]]:
    """Check the reports due (``every``: all notified and removed reports, whatever their schedule).
    Returns ``[{"reference", "status", "removed_after_seconds", "reason"}]`` for each report checked."""
    when = at(now)
    with db.session() as session:
        query = (
            select(ReportRow.id, ReportRow.reference, ReportRow.normalised_url, ReportRow.status)
            .where(ReportRow.status.in_([Status.NOTIFIED.value, Status.REMOVED.value]))
            .order_by(ReportRow.next_check_at, ReportRow.id)
            .limit(MAX_PER_RUN)
        )
        if not every:
            query = query.where(or_(ReportRow.next_check_at.is_(None), ReportRow.next_check_at <= when))
        todo = session.execute(query).all()
    out = []
    for report_id, _reference, url, _status in todo:
        sha256s, pdqs = confirmed_hashes(db, report_id)
        found = check_removed(url, sha256s, settings=settings, fetcher=fetcher, confirmed_pdq=pdqs)
        if found.removed and found.reason == "no-confirmed-item" and not sha256s:
            found = Removal(False, "inconclusive", "nothing was captured to compare with")
        out.append(_record(db, actor, report_id, found, settings, when))
    return out


def _record(
    db: Database, actor: Actor, report_id: int, found: Removal, settings: HotlineSettings, when: datetime
) -> dict[str, Any]:
    with db.session() as session:
        report = session.get(ReportRow, report_id, with_for_update=True)
        assert report is not None
        session.add(CheckRow(report_id=report.id, at=when, removed=found.removed, reason=_reason(found)))
        report.next_check_at = when + timedelta(minutes=settings.monitor_interval_minutes)
        details = {"removed": found.removed, "reason": found.reason, "detail": found.detail[:300]}
        if report.status == Status.NOTIFIED and found.removed:
            first = aware(report.first_notice_at) or when
            report.removed_at = when
            report.removed_after_seconds = max(0.0, (when - first).total_seconds())
            details["removed_after_seconds"] = report.removed_after_seconds
            change_state(session, actor, report, Status.REMOVED, when, "hotline.removed", details)
        elif report.status == Status.REMOVED and not found.removed and found.reason == "present":
            report.removed_at = None
            report.removed_after_seconds = None
            report.last_notice_at = None  # the host thought it was done: tell it again now
            change_state(
                session, actor, report, Status.NOTIFIED, when, "hotline.reopen", details, note="reopened"
            )
        else:
            record(session, actor, "hotline.check", f"report:{report.reference}", details)
        return {
            "reference": report.reference,
            "status": report.status,
            "removed_after_seconds": report.removed_after_seconds,
            "reason": found.reason,
        }


def _reason(found: Removal) -> str:
    text = f"{found.reason}: {found.detail}" if found.detail else found.reason
    return " ".join(text.split())[:2000]


def purge_expired(
    db: Database,
    actor: Actor,
    *,
    settings: HotlineSettings,
    vault: Vault | Callable[[], Vault],
    now: datetime | None = None,
) -> int:
    """Delete captured bytes older than ``retention_days`` from the vault; the items' hashes stay. Then
    delete the vault's orphans (``sweep_orphans``). ``vault`` may be a function that opens it: called only
    when something is due or the capture folder exists (a server that never captured anything then creates
    no key file). The number of items whose retention ended."""
    when = at(now)
    opened = vault if isinstance(vault, Vault) else None

    def the_vault() -> Vault:
        nonlocal opened
        if opened is None:
            opened = vault if isinstance(vault, Vault) else vault()
        return opened

    cutoff = when - timedelta(days=settings.retention_days)
    with db.session() as session:
        rows = session.scalars(
            select(ItemRow).where(ItemRow.vault_id.is_not(None), ItemRow.captured_at < cutoff).limit(100_000)
        ).all()
        if rows:
            # Files before the rows say so: a crash here leaves rows naming files that are gone.
            the_vault().purge([r.vault_id for r in rows if r.vault_id])
            for r in rows:
                r.vault_id, r.purged_at = None, when
            record(
                session,
                actor,
                "hotline.retention",
                None,
                {"items": len(rows), "retention_days": settings.retention_days},
            )
    if opened is not None or capture_dir(settings, db).is_dir():
        sweep_orphans(db, actor, the_vault(), now=when)
    return len(rows)


def sweep_orphans(
    db: Database, actor: Actor, vault: Vault, *, now: datetime | None = None, grace: timedelta = ORPHAN_GRACE
) -> int:
    """Delete vault files no item names, older than ``grace``: a process killed between sealing a capture
    or an upload and its commit, or between an assessment's commit and the deletion of its picture, leaves
    such a file, and "deleted after assessment" must hold after a crash too. The grace keeps a capture
    whose transaction is still open from losing its file."""
    before = (at(now) - grace).timestamp()
    stale = vault.ids_older_than(before)
    if not stale:
        return 0
    with db.session() as session:
        known: set[str] = set()
        ordered = sorted(stale)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            known.update(
                v for v in session.scalars(select(ItemRow.vault_id).where(ItemRow.vault_id.in_(chunk))) if v
            )
        orphans = stale - known
        if not orphans:
            return 0
        removed = vault.purge(sorted(orphans))
        record(session, actor, "hotline.orphans", None, {"files": removed})
        return removed


def take_lease(db: Database, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """True when ``holder`` holds the monitor's lease for ``seconds`` from now (taken, or renewed)."""
    when = at(now)
    try:
        with db.session() as session:
            row = session.get(MonitorLeaseRow, LEASE_ID, with_for_update=True)
            if row is None:
                session.add(
                    MonitorLeaseRow(id=LEASE_ID, holder=holder[:200], until=when + timedelta(seconds=seconds))
                )
                return True
            until = aware(row.until)
            if row.holder != holder and until is not None and until > when:
                return False
            row.holder, row.until = holder[:200], when + timedelta(seconds=seconds)
            return True
    except IntegrityError:  # another worker inserted the row first
        return False
