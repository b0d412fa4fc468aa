"""Scans as the pages and the API list them: what was scanned, by whom, when, how it stands, what matched
by category, how many errors; and the scan's report files for download.

Scans run from the command line and from the pages are the same rows (triage/models.py); this module only
reads them. Counts come from the store, so a scan still running shows what it has found so far.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import NotFound
from netsafe.store.db import Database
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow
from netsafe.triage.report import REPORT_FILES
from netsafe.triage.report_json import item_category

DOWNLOADS = (*REPORT_FILES, "manifest.txt")
MEDIA_TYPES = {
    "report.json": "application/json",
    "report.csv": "text/csv",
    "report.html": "text/html",
    "vics.json": "application/json",
    "manifest.txt": "text/plain",
}
MAX_PAGE = 200


class NoSuchReportError(NotFound):
    pass


@dataclass(slots=True)
class ScanSummary:
    id: int
    sources: list[str]
    examiner: str | None
    started: datetime
    finished: datetime | None
    status: str  # running | finished
    elapsed: float
    events: int  # files and issues walked so far
    files: int = 0
    items: int = 0  # distinct contents
    errors: int = 0
    matched_items: int = 0
    by_category: dict[str, int] = field(default_factory=dict)  # label -> matched items
    reports: list[str] = field(default_factory=list)  # report files present on this server

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
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def list_scans(db: Database, limit: int = 50, before: int | None = None) -> list[ScanSummary]:
    """The newest scans first, ``limit`` of them (at most MAX_PAGE), older than scan ``before`` if given."""
    limit = max(1, min(limit, MAX_PAGE))
    with db.session() as session:
        query = select(ScanRow).order_by(ScanRow.id.desc()).limit(limit)
        if before is not None:
            query = query.where(ScanRow.id < before)
        rows = list(session.scalars(query))
        return _summaries(session, rows)


def get_scan(db: Database, scan_id: int) -> ScanSummary:
    with db.session() as session:
        row = session.get(ScanRow, scan_id)
        if row is None:
            raise NotFound(f"no scan {scan_id}")
        return _summaries(session, [row])[0]


def _summaries(session: Session, rows: list[ScanRow]) -> list[ScanSummary]:
    out = {
        r.id: ScanSummary(
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
    return [name for name in DOWNLOADS if _regular(os.path.join(out_dir, name))]


def _regular(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def report_file(db: Database, actor: Actor, scan_id: int, name: str) -> Path:
    """The path of one of the scan's report files, its download audited (the report lists the evidence)."""
    if name not in DOWNLOADS:
        raise NoSuchReportError(f"no report file {name!r}: choose one of {', '.join(DOWNLOADS)}")
    with db.session() as session:
        row = session.get(ScanRow, scan_id)
        if row is None:
            raise NotFound(f"no scan {scan_id}")
        path = Path(row.out_dir) / name
        if not _regular(str(path)):
            raise NoSuchReportError(
                f"scan {scan_id} has no {name} on this server (still running, or its report folder is "
                "elsewhere): `netsafe scan report` writes it again"
            )
        record(session, actor, "scan.report.download", f"scan:{scan_id}", {"file": name})
    return path
