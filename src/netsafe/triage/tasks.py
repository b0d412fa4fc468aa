"""The work a Dask worker does for a scan (issue 16 §1): plan a source into batches, scan one batch.

Nothing here imports Dask: the functions run in any process that reaches the evidence and the store.
A source's walk is stable (netsafe.media.sources), so the ``seq`` of every event is the same as in the
one-process scan: a source's events are numbered from the count of all events of the sources before it,
and a batch is a run of consecutive events of one source. A batch walks its source from the start and
reads only its own events, as a resumed scan skips what is stored.

Results are written idempotently, keyed by scan and ``seq`` (the location's place in the walk): an event
row already there is left alone, and a content (``scan_blobs``) keeps the values of its earliest
occurrence, so a task run twice after its worker died, or batches finishing in any order, store exactly
what the one-process scan stores.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from netsafe.hashing.runner import default_workers
from netsafe.media.item import MediaItem
from netsafe.media.limits import Limits
from netsafe.media.sources import iter_sources
from netsafe.store import Database, open_database
from netsafe.triage.checkpoint import Batch, BlobInfo, ScanState
from netsafe.triage.matcher import ScanMatcher
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow, ScanTaskRow
from netsafe.triage.pipeline import ScanConfig, Scanner, load_matcher, source_path
from netsafe.triage.pool import DecodePool

# The planner cuts a source into chunks this small; the client then joins consecutive chunks into batches
# of about a quarter of a worker's share, at most BATCH_FILES or BATCH_BYTES: several batches per worker
# (so a slow one does not hold the end of the scan), but few enough that a batch's fixed cost (walking to
# its start, a transaction per commit) stays small beside its work, and a dead worker costs little.
CHUNK_FILES = 250
CHUNK_BYTES = 32 << 20
BATCH_FILES = 5000
BATCH_BYTES = 512 << 20
BATCHES_PER_WORKER = 4
ROWS_PER_STATEMENT = 500  # SQLite allows 32766 parameters in one statement; a blob row has 15
# Test hook: a file holding a seq; the worker running the batch that holds that event removes the file
# and kills its own process right after storing the batch's events, before the task is done.
KILL_FILE_ENV = "NETSAFE_TEST_KILL_TASK"


@dataclass(frozen=True, slots=True)
class Chunk:
    start: int  # offset from the source's first event
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class SourcePlan:
    index: int
    events: int  # events of this source's walk
    chunks: tuple[Chunk, ...]

    @property
    def files(self) -> int:
        return sum(c.files for c in self.chunks)

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.chunks)


def plan_source(
    index: int,
    path: str,
    limits: dict[str, Any],
    chunk_files: int = CHUNK_FILES,
    chunk_bytes: int = CHUNK_BYTES,
) -> SourcePlan:
    """Walk ``path`` without reading its files' contents and cut its events into chunks."""
    return plan_events(index, iter_sources([path], Limits(**limits)), chunk_files, chunk_bytes)


def plan_events(index: int, events: Iterable[Any], chunk_files: int, chunk_bytes: int) -> SourcePlan:
    chunks: list[Chunk] = []
    start = files = nbytes = count = 0
    for count, event in enumerate(events, 1):
        if isinstance(event, MediaItem):
            files += 1
            nbytes += event.size
        if files >= chunk_files or nbytes >= chunk_bytes:
            chunks.append(Chunk(start, files, nbytes))
            start, files, nbytes = count, 0, 0
    if count > start:
        chunks.append(Chunk(start, files, nbytes))
    return SourcePlan(index, count, tuple(chunks))


def batch_size(plans: list[SourcePlan], workers: int) -> tuple[int, int]:
    """Files and bytes after which a batch ends, for this many workers."""
    share = max(1, workers * BATCHES_PER_WORKER)
    files = sum(p.files for p in plans) // share
    nbytes = sum(p.bytes for p in plans) // share
    return max(1, min(BATCH_FILES, files)), max(1, min(BATCH_BYTES, nbytes))


@dataclass(frozen=True, slots=True)
class BatchJob:
    db_url: str = field(repr=False)  # workers log a failed task's arguments: never the store's URL
    scan_id: int
    source: int
    source_seq: int
    first_seq: int
    end_seq: int
    threads: int


@dataclass(slots=True)
class BatchResult:
    first_seq: int
    worker: str
    files: int = 0
    bytes: int = 0
    matched: int = 0
    errors: int = 0
    host_bytes: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def worker_name() -> str:
    """The Dask worker's address, or host:pid outside a worker."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


# One connection pool and one matcher per worker process, not per task.
_DATABASES: dict[str, Database] = {}
_MATCHERS: dict[tuple[str, int, str], ScanMatcher] = {}
_POOLS: dict[int, DecodePool] = {}


def _database(url: str) -> Database:
    db = _DATABASES.get(url)
    if db is None:
        db = _DATABASES[url] = open_database(url, migrate=False)
    return db


def run_batch(job: BatchJob) -> BatchResult:
    """Scan the events ``first_seq``..``end_seq`` of one source and mark the task done."""
    started, cpu = time.monotonic(), time.process_time()
    # A Dask worker process is daemonic, and a daemonic process may not start the crash-safe decoder
    # pool. What daemon would ensure, that children end with their parent, the pool ensures itself
    # (netsafe.hashing.crashsafe), so the flag is cleared for this process.
    if multiprocessing.current_process().daemon:
        multiprocessing.current_process().daemon = False
    db = _database(job.db_url)
    state, started_at = _task_state(db, job)
    path = source_path(state.sources[job.source])
    config = ScanConfig(sources=(path,), out_dir="", workers=job.threads)
    # The scan's start time too: a store made anew at the same URL numbers its scans from 1 again.
    key = (job.db_url, job.scan_id, started_at)
    matcher = _MATCHERS.get(key)
    if matcher is None:
        matcher = _MATCHERS[key] = load_matcher(db, state, config)
    threads = job.threads or default_workers()
    pool = _POOLS.get(threads)
    if pool is None:
        pool = _POOLS[threads] = DecodePool(threads)
    batch = TaskBatch(db.backend, job.first_seq, job.end_seq)
    scanner = Scanner(db, config, state, matcher, batch=batch, pool=pool)
    limits = Limits(**state.options["limits"])
    events = itertools.islice(iter_sources([path], limits), job.end_seq - job.source_seq)
    scanner.run(events, None, first_seq=job.source_seq)
    p = scanner.progress
    result = BatchResult(
        job.first_seq,
        worker_name(),
        p.files,
        p.bytes,
        p.matched,
        p.errors,
        p.host_bytes,
        time.monotonic() - started,
        time.process_time() - cpu,
    )
    with db.session() as session:
        session.execute(
            update(ScanTaskRow)
            .where(ScanTaskRow.scan_id == job.scan_id, ScanTaskRow.first_seq == job.first_seq)
            .values(
                status="done",
                worker=result.worker,
                files=result.files,
                bytes=result.bytes,
                seconds=result.seconds,
                cpu_seconds=result.cpu_seconds,
            )
        )
    return result


def _task_state(db: Database, job: BatchJob) -> tuple[ScanState, str]:
    """The scan as this batch sees it: the contents first met before the batch are known (their events
    point at them, nothing is decoded again); a content first met in the batch is hashed here."""
    with db.session() as session:
        scan = session.get(ScanRow, job.scan_id)
        if scan is None:
            raise LookupError(f"scan {job.scan_id} is not in the store the workers reach")
        state = ScanState(
            scan.id, job.first_seq, 0.0, list(scan.sources), dict(scan.options), list(scan.hash_sets)
        )
        rows = session.execute(
            select(ScanBlobRow.id, ScanBlobRow.sha256, ScanBlobRow.size, ScanBlobRow.matches).where(
                ScanBlobRow.scan_id == job.scan_id, ScanBlobRow.first_seq < job.first_seq
            )
        )
        for blob_id, sha256, size, matches in rows:
            state.blobs[(sha256, int(size))] = BlobInfo(int(blob_id), bool(matches))
        return state, scan.started.isoformat()


_BLOB_VALUES = (
    "first_seq",
    "md5",
    "sha1",
    "kind",
    "mime",
    "pdq",
    "pdq_quality",
    "vpdq",
    "error",
    "matches",
    "thumbnail",
)


class TaskBatch(Batch):
    """A :class:`Batch` written idempotently: any subset of a scan's batches, in any order, any number of
    times, stores what the one-process scan stores."""

    def __init__(self, backend: str, first_seq: int, end_seq: int) -> None:
        super().__init__()
        self.backend = backend
        self.first_seq, self.end_seq = first_seq, end_seq

    def commit(self, db: Database, state: ScanState, elapsed: float) -> None:
        if not self.events:
            return
        dialect: Any = postgresql if self.backend == "postgresql" else sqlite
        with db.session() as session:
            for chunk in _chunks([{"scan_id": state.id, **b.values} for b in self.blobs]):
                stmt = dialect.insert(ScanBlobRow).values(chunk)
                session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["scan_id", "sha256", "size"],
                        set_={name: stmt.excluded[name] for name in _BLOB_VALUES},
                        # The earliest occurrence has the last word, as in the one-process scan.
                        where=ScanBlobRow.first_seq > stmt.excluded.first_seq,
                    )
                )
            wanted = {b.key for b in self.blobs}
            if wanted:
                for chunk in _chunks(sorted({sha for sha, _ in wanted})):
                    rows = session.execute(
                        select(ScanBlobRow.id, ScanBlobRow.sha256, ScanBlobRow.size).where(
                            ScanBlobRow.scan_id == state.id, ScanBlobRow.sha256.in_(chunk)
                        )
                    )
                    for blob_id, sha256, size in rows:
                        info = state.blobs.get((sha256, int(size)))
                        if info is not None:
                            info.id = int(blob_id)
            rows_out = []
            for event in self.events:
                ref = state.blobs[event.blob_key].id if event.blob_key is not None else None
                rows_out.append({**event.values, "scan_id": state.id, "seq": event.seq, "blob_id": ref})
            for chunk in _chunks(rows_out):
                stmt = dialect.insert(ScanEventRow).values(chunk)
                session.execute(stmt.on_conflict_do_nothing(index_elements=["scan_id", "seq"]))
        self.blobs = []
        self.events = []
        _test_kill_point(self.first_seq, self.end_seq)


def _chunks(rows: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(rows), ROWS_PER_STATEMENT):
        yield rows[i : i + ROWS_PER_STATEMENT]


def _test_kill_point(first_seq: int, end_seq: int) -> None:
    marker = os.environ.get(KILL_FILE_ENV)
    if not marker:
        return
    try:
        with open(marker, encoding="ascii") as fh:
            if not first_seq <= int(fh.read().strip() or -1) < end_seq:
                return
        os.unlink(marker)  # once only: the retried task must finish
    except OSError:
        return
    os.kill(os.getpid(), signal.SIGKILL)
