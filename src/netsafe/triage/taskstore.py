"""A cluster scan's plan in the store (``scan_tasks``): which batches exist, which are done.

The plan is stored once, whole, before any batch runs; a resumed scan runs the batches not marked done.
A scan started on one machine and resumed on a cluster keeps what it stored: its batches start at its
checkpoint (``next_seq``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from netsafe.store import Database
from netsafe.triage.models import ScanRow, ScanTaskRow
from netsafe.triage.tasks import SourcePlan


@dataclass(frozen=True, slots=True)
class PlannedTask:
    source: int
    source_seq: int
    first_seq: int
    end_seq: int
    done: bool
    worker: str | None = None


def load_tasks(db: Database, scan_id: int) -> list[PlannedTask]:
    with db.session() as session:
        rows = session.scalars(
            select(ScanTaskRow).where(ScanTaskRow.scan_id == scan_id).order_by(ScanTaskRow.first_seq)
        )
        return [
            PlannedTask(r.source, r.source_seq, r.first_seq, r.end_seq, r.status == "done", r.worker)
            for r in rows
        ]


def batches(plan: SourcePlan, files: int, nbytes: int) -> list[tuple[int, int]]:
    """The source's events cut into runs of consecutive chunks of about ``files`` or ``nbytes``."""
    out: list[tuple[int, int]] = []
    start = got_files = got_bytes = 0
    for chunk in plan.chunks:
        if (got_files >= files or got_bytes >= nbytes) and chunk.start > start:
            out.append((start, chunk.start))
            start, got_files, got_bytes = chunk.start, 0, 0
        got_files += chunk.files
        got_bytes += chunk.bytes
    if plan.events > start:
        out.append((start, plan.events))
    return out


def store_plan(
    db: Database, scan_id: int, plans: list[SourcePlan], stored_below: int, files: int, nbytes: int
) -> list[PlannedTask]:
    """Number the sources' events one after another and store their batches (all in one transaction).
    Events below ``stored_below`` are stored already (a one-machine run's checkpoint): no batch has them."""
    tasks: list[PlannedTask] = []
    source_seq = 0
    for plan in sorted(plans, key=lambda p: p.index):
        for start, end in batches(plan, files, nbytes):
            first, last = source_seq + start, source_seq + end
            if last <= stored_below or first == last:
                continue
            tasks.append(PlannedTask(plan.index, source_seq, max(first, stored_below), last, False))
        source_seq += plan.events
    with db.session() as session:
        session.add_all(
            ScanTaskRow(
                scan_id=scan_id,
                source=t.source,
                source_seq=t.source_seq,
                first_seq=t.first_seq,
                end_seq=t.end_seq,
                status="pending",
                files=0,
                bytes=0,
                seconds=0.0,
                cpu_seconds=0.0,
            )
            for t in tasks
        )
        # The scan's checkpoint: every event is numbered; the scan is complete once every batch is done.
        session.execute(update(ScanRow).where(ScanRow.id == scan_id).values(next_seq=stored_below))
    return tasks


def mark_complete(db: Database, scan_id: int, elapsed: float) -> None:
    """Every batch is done: the checkpoint moves past the last event (as a one-process scan leaves it)."""
    with db.session() as session:
        end = session.scalar(select(func.max(ScanTaskRow.end_seq)).where(ScanTaskRow.scan_id == scan_id))
        values: dict[str, object] = {"elapsed": elapsed}
        if end is not None:
            values["next_seq"] = int(end)
        session.execute(update(ScanRow).where(ScanRow.id == scan_id).values(**values))
