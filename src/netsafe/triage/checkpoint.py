"""The scan's state in the store: create or find a scan, commit batches of events, finish it.

Each commit is one transaction holding a contiguous run of events, the new distinct contents they refer
to, and the new ``next_seq``; a ``kill -9`` at any instant leaves either all of a batch or none of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from netsafe import __version__
from netsafe.errors import InvalidInput
from netsafe.store import Database, StoreError
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow, ScanTaskRow


class ScanStateError(InvalidInput, StoreError):
    """The output folder's scan cannot be started or resumed as asked; the message says what to do."""


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class BlobInfo:
    id: int
    matched: bool


@dataclass(slots=True)
class ScanState:
    id: int
    next_seq: int
    elapsed: float
    sources: list[dict[str, Any]]
    options: dict[str, Any]
    hash_sets: list[dict[str, Any]]
    # (sha256, size) -> blob: what this scan has already hashed, so a copy is never hashed twice.
    blobs: dict[tuple[str, int], BlobInfo] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    matched_files: int = 0
    finished: bool = False  # scanned already: only the report is left to write
    # As the scan was started: a resumed run reports and audits the examiner who began it.
    examiner: str | None = None


def find_scan(db: Database, out_dir: str) -> ScanRow | None:
    with db.session() as session:
        return session.scalars(
            select(ScanRow).where(ScanRow.out_dir == out_dir).order_by(ScanRow.id.desc()).limit(1)
        ).first()


def create_scan(
    db: Database,
    out_dir: str,
    sources: list[dict[str, Any]],
    options: dict[str, Any],
    hash_sets: list[dict[str, Any]],
    examiner: str | None,
) -> ScanState:
    with db.session() as session:
        row = ScanRow(
            out_dir=out_dir,
            sources=sources,
            options=options,
            hash_sets=hash_sets,
            examiner=examiner,
            netsafe_version=__version__,
            status="running",
            started=now(),
            finished=None,
            next_seq=0,
            elapsed=0.0,
            runs=1,
        )
        session.add(row)
        session.flush()
        return ScanState(row.id, 0, 0.0, sources, options, hash_sets, examiner=examiner)


def load_state(db: Database, scan: ScanRow) -> ScanState:
    """Everything a resumed run needs: where to restart, what was hashed, the counters so far."""
    state = ScanState(
        scan.id,
        scan.next_seq,
        scan.elapsed,
        list(scan.sources),
        dict(scan.options),
        list(scan.hash_sets),
        examiner=scan.examiner,
    )
    with db.session() as session:
        session.execute(update(ScanRow).where(ScanRow.id == scan.id).values(runs=ScanRow.runs + 1))
        for blob_id, sha256, size, matches in session.execute(
            select(ScanBlobRow.id, ScanBlobRow.sha256, ScanBlobRow.size, ScanBlobRow.matches).where(
                ScanBlobRow.scan_id == scan.id
            )
        ):
            state.blobs[(sha256, int(size))] = BlobInfo(int(blob_id), bool(matches))
        matched = {info.id for info in state.blobs.values() if info.matched}
        for blob_id, size in session.execute(
            select(ScanEventRow.blob_id, ScanEventRow.size).where(
                ScanEventRow.scan_id == scan.id, ScanEventRow.blob_id.is_not(None)
            )
        ):
            state.files += 1
            state.bytes += int(size or 0)
            state.matched_files += blob_id in matched
    return state


def finished_state(scan: ScanRow) -> ScanState:
    """A scan that needs nothing but its report (no walk, no counters, not another run)."""
    return ScanState(
        scan.id,
        scan.next_seq,
        scan.elapsed,
        list(scan.sources),
        dict(scan.options),
        list(scan.hash_sets),
        finished=True,
        examiner=scan.examiner,
    )


@dataclass(slots=True)
class NewBlob:
    key: tuple[str, int]
    values: dict[str, Any]


@dataclass(slots=True)
class NewEvent:
    seq: int
    values: dict[str, Any]
    blob_key: tuple[str, int] | None = None


class Batch:
    """Events (in ``seq`` order, no gaps) and the blobs first seen among them, committed together."""

    def __init__(self) -> None:
        self.blobs: list[NewBlob] = []
        self.events: list[NewEvent] = []

    def __len__(self) -> int:
        return len(self.events)

    def commit(self, db: Database, state: ScanState, elapsed: float) -> None:
        if not self.events:
            return
        last = self.events[-1].seq
        with db.session() as session:
            if self.blobs:
                session.execute(insert(ScanBlobRow), [{"scan_id": state.id, **b.values} for b in self.blobs])
                # first_seq is unique within a scan: it tells the new rows' ids apart in one query.
                ids: dict[int, int] = {
                    int(seq): int(blob_id)
                    for seq, blob_id in session.execute(
                        select(ScanBlobRow.first_seq, ScanBlobRow.id).where(
                            ScanBlobRow.scan_id == state.id,
                            ScanBlobRow.first_seq >= self.blobs[0].values["first_seq"],
                        )
                    )
                }
                for blob in self.blobs:
                    state.blobs[blob.key].id = int(ids[blob.values["first_seq"]])
            rows = []
            for event in self.events:
                blob_id = state.blobs[event.blob_key].id if event.blob_key is not None else None
                rows.append({**event.values, "scan_id": state.id, "seq": event.seq, "blob_id": blob_id})
            session.execute(insert(ScanEventRow), rows)
            moved = session.execute(
                update(ScanRow)
                .where(ScanRow.id == state.id, ScanRow.next_seq == self.events[0].seq)
                .values(next_seq=last + 1, elapsed=elapsed)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                # Another process is running this same scan: stop rather than store anything twice.
                raise ScanStateError("the scan's checkpoint moved under this run: is it running twice?")
        state.next_seq = last + 1
        self.blobs = []
        self.events = []


def stored_files(db: Database, scan_id: int) -> int:
    """Files (locations with content) the scan has committed so far."""
    with db.session() as session:
        count = session.scalar(
            select(func.count()).where(ScanEventRow.scan_id == scan_id, ScanEventRow.blob_id.is_not(None))
        )
    return int(count or 0)


def has_tasks(db: Database, scan_id: int) -> bool:
    """The scan was planned into batches for a cluster (netsafe.triage.taskstore)."""
    with db.session() as session:
        return bool(session.scalar(select(func.count()).where(ScanTaskRow.scan_id == scan_id)))


def set_hash_sets(db: Database, state: ScanState, hash_sets: list[dict[str, Any]]) -> None:
    with db.session() as session:
        session.execute(update(ScanRow).where(ScanRow.id == state.id).values(hash_sets=hash_sets))
    state.hash_sets = hash_sets


def finish_scan(db: Database, state: ScanState, elapsed: float) -> None:
    with db.session() as session:
        session.execute(
            update(ScanRow)
            .where(ScanRow.id == state.id)
            .values(status="finished", finished=now(), elapsed=elapsed)
        )


def source_key(path: str) -> str:
    return os.path.abspath(path)
