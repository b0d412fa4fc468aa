"""A scan on a Dask distributed cluster (``netsafe scan --cluster``): plan, then batches, on the workers.

This process keeps the scan's record (start, resume, finish, via netsafe.triage.service) and hands the
work to the cluster: one planning task per source (an evidence item: a folder, an archive, a disk image)
walks it without reading the files and cuts it into batches (netsafe.triage.tasks); then one task per
batch hashes, decodes and matches its files and writes them to the store itself. Batches of one big image
run on every worker at once; a batch whose worker dies is run again by the scheduler, and writes nothing
twice. Importing this module imports ``distributed``: only ``--cluster`` does.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass

from distributed import Client, LocalCluster, as_completed
from distributed.scheduler import KilledWorker
from distributed.security import Security

from netsafe.errors import Unavailable
from netsafe.store import Database
from netsafe.triage import checkpoint, taskstore
from netsafe.triage.checkpoint import ScanState
from netsafe.triage.cluster import ClusterError, ClusterSpec
from netsafe.triage.pipeline import (
    Progress,
    ProgressHook,
    ScanConfig,
    load_matcher,
    source_path,
    start_or_resume,
)
from netsafe.triage.tasks import (
    CHUNK_BYTES,
    CHUNK_FILES,
    BatchJob,
    BatchResult,
    batch_size,
    plan_source,
    run_batch,
)

CONNECT_SECONDS = 20


class ClusterRunError(Unavailable):
    """The cluster failed the scan (workers lost, scheduler gone); the message says what to do."""


@dataclass(slots=True)
class WorkerProgress:
    """What one worker has done in this run: its batches, files and bytes, and its busy seconds."""

    tasks: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0


WorkerHook = Callable[[str, WorkerProgress], None]


@contextmanager
def connect(spec: ClusterSpec) -> Iterator[Client]:
    """A client of the cluster ``spec`` names; a LocalCluster lives as long as the client."""
    if spec.is_local:
        assert spec.local_workers is not None
        cluster = LocalCluster(
            n_workers=spec.local_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    security = None
    if spec.tls is not None:
        security = Security(
            tls_ca_file=str(spec.tls.ca_file),
            tls_client_cert=str(spec.tls.cert_file),
            tls_client_key=str(spec.tls.key_file),
            require_encryption=True,
        )
    try:
        client = Client(spec.address, security=security, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as err:
        raise ClusterError(
            f"--cluster {spec.address}: cannot reach the scheduler ({type(err).__name__}); "
            "is it running, and are the TLS files the cluster's?"
        ) from None
    with client:
        yield client


def threads_per_task(spec: ClusterSpec, config: ScanConfig) -> int:
    """Readers and decoders per batch: a share of this machine's cores for a LocalCluster, every core of
    the worker's machine (0) for a cluster (run one single-threaded worker per machine)."""
    if config.workers:
        return config.workers
    if spec.local_workers:
        return max(1, (os.cpu_count() or 1) // spec.local_workers)
    return 0


def run_cluster_scan(
    db: Database,
    config: ScanConfig,
    spec: ClusterSpec,
    resume: bool = False,
    hook: ProgressHook | None = None,
    started: Callable[[int], None] | None = None,
    worker_hook: WorkerHook | None = None,
) -> ScanState:
    """Run (or finish) the scan for ``config.out_dir`` on the cluster; the caller writes the report."""
    checkpoint_started = time.monotonic()
    state = start_or_resume(db, config, resume, cluster=True)
    if started is not None:
        started(state.id)
    if state.finished:
        return state
    load_matcher(db, state, config)  # records the hash sets' versions (or checks them, on resume)
    limits = state.options.get("limits") or {}
    url = db.url.render_as_string(hide_password=False)
    with connect(spec) as client:
        tasks = taskstore.load_tasks(db, state.id)
        if not tasks:
            plans = client.gather(
                [
                    client.submit(
                        plan_source, i, source_path(s), limits, CHUNK_FILES, CHUNK_BYTES, pure=False
                    )
                    for i, s in enumerate(state.sources)
                ]
            )
            slots = max(1, sum(client.nthreads().values()))
            files, nbytes = batch_size(list(plans), slots)
            tasks = taskstore.store_plan(db, state.id, list(plans), state.next_seq, files, nbytes)
        threads = threads_per_task(spec, config)
        jobs = [
            BatchJob(url, state.id, t.source, t.source_seq, t.first_seq, t.end_seq, threads)
            for t in tasks
            if not t.done
        ]
        futures = [
            client.submit(run_batch, job, key=f"netsafe-scan-{state.id}-{job.first_seq}", pure=False)
            for job in jobs
        ]
        total = Progress(state.files, state.bytes, state.matched_files, 0)
        workers: dict[str, WorkerProgress] = {}
        try:
            for future in as_completed(futures):
                result: BatchResult = future.result()
                _add(total, result)
                mine = workers.setdefault(result.worker, WorkerProgress())
                mine.tasks += 1
                mine.files += result.files
                mine.bytes += result.bytes
                mine.seconds += result.seconds
                if hook is not None:
                    hook(total)
                if worker_hook is not None:
                    worker_hook(result.worker, mine)
        except KilledWorker:
            raise ClusterRunError(
                "a batch of the scan ended every worker that ran it (see the workers' logs): the batches "
                "done are kept in the store; run the same command with --resume to retry the rest"
            ) from None
        except (OSError, CancelledError):
            raise ClusterRunError(
                "lost the cluster's scheduler during the scan: the batches done are kept in the store; "
                "run the same command with --resume when the cluster is back"
            ) from None
    elapsed = state.elapsed + time.monotonic() - checkpoint_started
    taskstore.mark_complete(db, state.id, elapsed)
    checkpoint.finish_scan(db, state, elapsed)
    return state


def _add(total: Progress, result: BatchResult) -> None:
    total.files += result.files
    total.bytes += result.bytes
    total.matched += result.matched
    total.errors += result.errors
    total.host_bytes += result.host_bytes
