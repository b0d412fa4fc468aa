"""Start a scan from the pages or the API: only on a server-side path under the configured evidence roots,
run in the background by the worker process that took the request, its progress read from the store.

The path is checked as typed (absolute, no ``..``) and as it really is (every link resolved): a link that
leads out of the evidence roots is refused like a path outside them. The scan walks the resolved path with
links not followed, so nothing under it can lead the walk outside either.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, Forbidden, InvalidInput, NetsafeError, NotFound, Unavailable
from netsafe.hashing.runner import default_workers
from netsafe.media.limits import Limits
from netsafe.review.scan_progress import ScanProgress, progress_of
from netsafe.review.settings import ReviewSettings
from netsafe.services.hashsets import list_sets
from netsafe.store.db import Database
from netsafe.textsafe import is_exact_utf8, readable
from netsafe.triage import service
from netsafe.triage.pipeline import ScanConfig
from netsafe.triage.service import ReportNotWrittenError

# How long a start request waits for the scan to be stored (a disk image given as the source is hashed
# first, which may take longer: the request then answers that the scan is starting).
STORED_WAIT = 10.0
MAX_PATH = 4096


class OutsideEvidenceRootsError(Forbidden):
    pass


class ScanPathError(InvalidInput):
    pass


def evidence_path(text: str, roots: list[Path]) -> str:
    """The real path of ``text`` if it lies under one of ``roots``; a one-line refusal otherwise. The
    messages never repeat the path: the person who typed it knows it, a log reader need not."""
    if not text or len(text) > MAX_PATH or "\x00" in text or not is_exact_utf8(text):
        raise ScanPathError("give the path of a folder or file under an evidence root")
    if not roots:
        raise OutsideEvidenceRootsError(
            "no evidence roots are configured (evidence_roots in [review]): scans cannot be started here"
        )
    if not os.path.isabs(text):
        raise ScanPathError("give an absolute path (starting with /) under an evidence root")
    if ".." in Path(text).parts:
        raise ScanPathError("'..' is not allowed in the path: give it without")
    try:
        real = os.path.realpath(text, strict=True)
    except OSError:
        raise NotFound("no such file or folder (or it cannot be reached by the service)") from None
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return real
    raise OutsideEvidenceRootsError(
        "the path is not under an evidence root (a link that leads out of one counts as outside): "
        "choose a folder or file under one of them"
    )


def reports_root(settings: ReviewSettings) -> Path:
    return settings.scan_out_dir or user_data_path("netsafe") / "scans"


def _out_dir(settings: ReviewSettings, source: str) -> Path:
    root = Path(os.path.realpath(reports_root(settings)))
    for base in (source, *(os.path.realpath(r) for r in settings.evidence_roots)):
        if str(root) == base or str(root).startswith(base.rstrip(os.sep) + os.sep):
            raise Conflict(
                "the folder for scan reports (scan_out_dir in [review]) is inside the evidence: "
                "set it outside the evidence roots"
            )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / f"scan-{stamp}-{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class Started:
    scan: ScanProgress | None  # None: still starting (hashing a disk image, or queued behind another scan)
    queued: int  # scans ahead of it in this worker

    def as_dict(self) -> dict[str, Any]:
        return {"scan": None if self.scan is None else self.scan.as_dict(), "queued": self.queued}


class ScanStoppedError(Unavailable):
    pass


class ScanRunner:
    """Scans started in this process, one at a time in a background thread, so a worker that takes a
    scan runs it beside its requests without two scans fighting over the cores."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netsafe-scan")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.pending = 0

    def check(self, _progress: object = None) -> None:
        """The scan's progress hook: a server that stops stops its scan between two items (it stays
        stored as running, and ``netsafe scan --resume`` finishes it)."""
        if self._stopping.is_set():
            raise ScanStoppedError(
                "the service stopped during the scan: resume it with netsafe scan --resume"
            )

    def submit(self, job: Callable[[Callable[[int], None]], None], wait: float) -> tuple[int | None, int]:
        """Run ``job(started)`` in the background; wait up to ``wait`` s for it to call ``started(id)``."""
        stored = threading.Event()
        got: list[int] = []

        def started(scan_id: int) -> None:
            got.append(scan_id)
            stored.set()

        def run() -> None:
            try:
                job(started)
            finally:
                stored.set()
                with self._lock:
                    self.pending -= 1

        with self._lock:
            ahead = self.pending
            self.pending += 1
        self._pool.submit(run)
        stored.wait(wait)
        return (got[0] if got else None), ahead

    def shutdown(self) -> None:
        self._stopping.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


RUNNER = ScanRunner()


def start_scan(
    db: Database,
    actor: Actor,
    settings: ReviewSettings,
    path: str,
    *,
    examiner: str | None = None,
    hashsets: tuple[str, ...] = (),
    runner: ScanRunner = RUNNER,
    wait: float = STORED_WAIT,
) -> Started:
    """Check the request and record it (``scan.start``) in one transaction, then hand the scan to this
    worker's runner; the scan itself is stored, walked, reported and audited (``scan``) by triage."""
    source = evidence_path(path, settings.evidence_roots)
    out = _out_dir(settings, source)
    known = {info.name for info in list_sets(db)}
    unknown = [name for name in hashsets if name not in known]
    if unknown:
        raise NotFound(f"no hash set named {unknown[0]!r}")
    config = ScanConfig(
        sources=(source,),
        out_dir=str(out),
        hashsets=hashsets,
        workers=settings.scan_workers or max(1, default_workers() // 2),
        examiner=examiner or actor.name,
        limits=Limits(follow_symlinks=False),
    )
    with db.session() as session:
        record(
            session,
            actor,
            "scan.start",
            None,
            {"source": readable(source), "hashsets": list(hashsets), "examiner": config.examiner},
        )

    def job(started: Callable[[int], None]) -> None:
        scan_id: list[int] = []

        def note(found: int) -> None:
            scan_id.append(found)
            started(found)

        try:
            service.scan(db, actor, config, hook=runner.check, started=note)
        except Exception as err:  # the worker carries on; the scan stays "running", resumable
            if isinstance(err, ReportNotWrittenError):  # its own message names the folder: not here
                reason = (
                    "the scan is stored but its report could not be written (check scan_out_dir): "
                    "finish it with netsafe scan --resume"
                )
            elif isinstance(err, NetsafeError):
                reason = str(err)
            else:
                reason = f"unexpected {type(err).__name__}"
            with db.session() as session:
                record(
                    session,
                    actor,
                    "scan",
                    f"scan:{scan_id[0]}" if scan_id else None,
                    {"source": readable(source), "error": " ".join(reason.split())},
                    outcome="failed",
                )

    scan_id, ahead = runner.submit(job, wait)
    return Started(None if scan_id is None else progress_of(db, scan_id), ahead)


def scan_progress(db: Database, scan_id: int) -> dict[str, Any]:
    """How far the scan is, from the store: any worker answers the same, a failed run included."""
    return progress_of(db, scan_id).as_dict()
