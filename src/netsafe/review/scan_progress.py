"""How far a scan is, from the store: cheap counts a page can poll while the scan runs (the full summary
with grades is review.scanlist's). Any worker answers the same, whichever worker runs the scan."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from netsafe.audit.models import AuditEventRow
from netsafe.errors import NotFound
from netsafe.store.db import Database
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow
from netsafe.triage.report import REPORT_FILES
from netsafe.triage.report_json import item_category


@dataclass(slots=True)
class ScanProgress:
    id: int
    sources: list[str]
    examiner: str | None
    started: datetime
    finished: datetime | None
    status: str  # running | finished | failed (stored as running; its run failed, resumable)
    elapsed: float
    events: int  # files and issues walked so far
    files: int = 0
    items: int = 0  # distinct contents
    errors: int = 0
    matched_items: int = 0
    by_category: dict[str, int] = field(default_factory=dict)  # label -> matched items
    reports: list[str] = field(default_factory=list)  # report files present on this server
    error: str | None = None  # why a failed scan failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sources": self.sources,
            "examiner": self.examiner,
            "started": _iso(self.started),
            "finished": _iso(self.finished),
            "status": self.status,
            "elapsed_seconds": round(self.elapsed, 1),
            "events": self.events,
            "files": self.files,
            "items": self.items,
            "errors": self.errors,
            "matched_items": self.matched_items,
            "matches_by_category": self.by_category,
            "reports": self.reports,
            "error": self.error,
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def progress_of(db: Database, scan_id: int) -> ScanProgress:
    with db.session() as session:
        row = session.get(ScanRow, scan_id)
        if row is None:
            raise NotFound(f"no scan {scan_id}")
        progress = _summaries(session, [row])[0]
        if progress.status == "running" or "manifest.txt" not in progress.reports:
            _failure(session, progress)  # still running, or stored without its report: did its run fail?
        if progress.status == "finished" and "manifest.txt" not in progress.reports:
            _reporting(session, progress)
        return progress


def _reporting(session: Session, progress: ScanProgress) -> None:
    """Walked and stored, but no ``scan`` event yet: its report files are still being written (the PDF
    takes a while on a big case), so it is not done for anyone waiting on its downloads. A scan whose
    event says it ended, with its files since moved away, stays finished."""
    ended = session.scalars(
        select(AuditEventRow.seq)
        .where(AuditEventRow.action == "scan", AuditEventRow.target == f"scan:{progress.id}")
        .limit(1)
    ).first()
    if ended is None:
        progress.status = "reporting"


def _failure(session: Session, progress: ScanProgress) -> None:
    """A scan whose run failed (its ``scan`` event says so: any worker sees it) is shown as failed, with
    the event's one-line reason, whether it stopped while walking or while writing its report."""
    details = session.scalars(
        select(AuditEventRow.details)
        .where(
            AuditEventRow.action == "scan",
            AuditEventRow.target == f"scan:{progress.id}",
            AuditEventRow.outcome == "failed",
        )
        .order_by(AuditEventRow.seq.desc())
        .limit(1)
    ).first()
    if details is None:
        return
    progress.status = "failed"
    try:
        progress.error = str(json.loads(details).get("error") or "the scan failed")
    except (ValueError, AttributeError):
        progress.error = "the scan failed"


def _summaries(session: Session, rows: list[ScanRow]) -> list[ScanProgress]:
    out = {
        r.id: ScanProgress(
            r.id,
            [str(s.get("path", "")) for s in r.sources],
            r.examiner,
            r.started,
            r.finished,
            r.status,
            r.elapsed,
            r.next_seq,
            reports=_present(r.out_dir),
        )
        for r in rows
    }
    if not out:
        return []
    ids = list(out)
    events = select(
        ScanEventRow.scan_id,
        func.count(ScanEventRow.blob_id),  # files: events with a content
        func.count(ScanEventRow.id) - func.count(ScanEventRow.blob_id),  # issues
    ).where(ScanEventRow.scan_id.in_(ids))
    for scan_id, files, issues in session.execute(events.group_by(ScanEventRow.scan_id)):
        out[scan_id].files = int(files)
        out[scan_id].errors += int(issues)
    blobs = select(ScanBlobRow.scan_id, func.count(ScanBlobRow.id), func.count(ScanBlobRow.error)).where(
        ScanBlobRow.scan_id.in_(ids)
    )
    for scan_id, items, decode_errors in session.execute(blobs.group_by(ScanBlobRow.scan_id)):
        out[scan_id].items = int(items)
        out[scan_id].errors += int(decode_errors)
    # Only matched contents' match lists are read: a scan's unknown contents (most of them) cost nothing.
    matched = select(ScanBlobRow.scan_id, ScanBlobRow.matches).where(
        ScanBlobRow.scan_id.in_(ids), cast(ScanBlobRow.matches, Text) != "[]"
    )
    for scan_id, matches in session.execute(matched):
        if not matches:
            continue
        summary = out[scan_id]
        summary.matched_items += 1
        label = item_category(matches)[1] or "Uncategorised"
        summary.by_category[label] = summary.by_category.get(label, 0) + 1
    for summary in out.values():
        summary.by_category = dict(sorted(summary.by_category.items()))
    return [out[r.id] for r in rows]


def _present(out_dir: str) -> list[str]:
    """The report files the scan wrote that this server can read (a scan run elsewhere has none here)."""
    return [name for name in (*REPORT_FILES, "manifest.txt") if _regular(os.path.join(out_dir, name))]


def _regular(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)
