"""A scan on a Dask cluster of 2 worker processes on PostgreSQL (issue 16 §1): it reports what the
one-process scan of the same evidence reports, spreads its batches over both workers, finishes with the
same report when a worker's process is killed in the middle of a batch, and an interrupted scan (a batch
that killed its worker each time, a cluster scan stopped half-way, a one-process scan) resumes on the
cluster with that report too."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from netsafe.audit.service import Actor
from netsafe.media.sources import iter_sources
from netsafe.services.hashsets import import_file
from netsafe.store import Database, open_database
from netsafe.store.pytest_fixtures import empty_postgres, postgres_server, postgres_store
from netsafe.triage import cluster_run, pipeline, service, tasks, taskstore
from netsafe.triage.checkpoint import ScanStateError
from netsafe.triage.cluster import ClusterSpec, parse_cluster
from netsafe.triage.models import ScanEventRow, ScanTaskRow
from netsafe.triage.pipeline import ScanConfig, Scanner, load_matcher, start_or_resume

from .conftest import Evidence

distributed = pytest.importorskip("distributed")
LocalCluster = distributed.LocalCluster

ACTOR = Actor("test")
__all__ = ["postgres_server", "postgres_store"]
# Reports differ in these alone: when, how long, which run.
VOLATILE = ("id", "started", "finished", "elapsed_seconds", "runs")


@pytest.fixture(scope="module")
def sources(evidence: Evidence, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """Three evidence items: a folder (with archives and a raw disk image), an E01 image, a zip."""
    zipped = tmp_path_factory.mktemp("phone") / "phone.zip"
    shutil.copy(evidence.folder / "nested.zip", zipped)
    return (str(evidence.folder), str(evidence.e01), str(zipped))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Two worker processes for every test of this module (starting them is most of a test's time);
    the scans reach them as a scheduler elsewhere, by address. Their environment is set first: they
    take this process's."""
    here = tmp_path_factory.mktemp("cluster")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NETSAFE_INDEX_DIR", str(here / "indexes"))
        env.setenv(tasks.KILL_FILE_ENV, str(here / "kill-at"))
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as started:
            yield started


@pytest.fixture()
def kill_at(cluster: LocalCluster) -> Path:
    """Write a seq here: the worker running the batch that holds it stores the batch, then dies."""
    return Path(os.environ.get(tasks.KILL_FILE_ENV) or cluster.scheduler_address)


@pytest.fixture(scope="module")
def one(
    sources: tuple[str, ...], evidence: Evidence, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The one-process scan's report of ``sources`` (on SQLite: the backends report alike)."""
    here = tmp_path_factory.mktemp("one")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NETSAFE_INDEX_DIR", str(here / "indexes"))
        db = open_database(f"sqlite:///{here / 'netsafe.db'}")
        try:
            import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
            return _scan(db, sources, here / "out", None)
        finally:
            db.dispose()


@pytest.fixture()
def pg(
    postgres_store: str, evidence: Evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.setattr(cluster_run, "CHUNK_FILES", 3)  # many batches from little evidence
    empty_postgres(postgres_store)
    db = open_database(postgres_store)
    import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
    try:
        yield db
    finally:
        db.dispose()


def _report(out: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    for key in VOLATILE:
        report["scan"].pop(key)
    return report


def _scan(db: Database, sources: tuple[str, ...], out: Path, cluster: ClusterSpec | None) -> dict[str, Any]:
    config = ScanConfig(sources=sources, out_dir=str(out), workers=1)
    service.scan(db, ACTOR, config, cluster=cluster)
    return _report(out)


def _workers(db: Database) -> list[str | None]:
    with db.session() as session:
        return list(session.scalars(select(ScanTaskRow.worker).order_by(ScanTaskRow.first_seq)))


def _on(cluster: LocalCluster) -> ClusterSpec:
    return parse_cluster(cluster.scheduler_address)


def test_cluster_scan_reports_as_one_process_and_spreads(
    pg: Database, sources: tuple[str, ...], one: dict[str, Any], cluster: LocalCluster, tmp_path: Path
) -> None:
    got = _scan(pg, sources, tmp_path / "two", _on(cluster))
    assert got == one
    assert one["summary"]["matches_by_category"] == {"Category A": 4, "Category B": 1, "Category C": 1}
    workers = _workers(pg)
    assert len(workers) > 3 and None not in workers  # the folder and the E01 were cut into batches
    assert len(set(workers)) == 2


def test_worker_killed_mid_batch_changes_nothing(
    pg: Database,
    sources: tuple[str, ...],
    one: dict[str, Any],
    cluster: LocalCluster,
    kill_at: Path,
    tmp_path: Path,
) -> None:
    # The batch holding the folder's 10th event: its worker stores the batch's events, then its process
    # ends before the task returns; the scheduler runs the batch again on a worker.
    kill_at.write_text("10")
    got = _scan(pg, sources, tmp_path / "two", _on(cluster))
    assert not kill_at.exists()  # the hook fired: a worker died holding that batch
    assert got == one
    with pg.session() as session:
        seqs = list(session.scalars(select(ScanEventRow.seq)))
    assert sorted(seqs) == list(range(len(seqs)))  # each event once, none missing


def test_batch_that_kills_every_worker_stops_the_scan_and_resume_finishes_it(
    pg: Database,
    sources: tuple[str, ...],
    one: dict[str, Any],
    cluster: LocalCluster,
    kill_at: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kill_at.write_text("10")
    # The scheduler (in this process) gives up on a batch at its first dead worker.
    monkeypatch.setattr(cluster.scheduler, "allowed_failures", 0)
    with pytest.raises(cluster_run.ClusterRunError, match="--resume to retry the rest"):
        _scan(pg, sources, tmp_path / "two", _on(cluster))
    assert not kill_at.exists()
    config = ScanConfig(sources=sources, out_dir=str(tmp_path / "two"), workers=1)
    service.scan(pg, ACTOR, config, resume=True, cluster=_on(cluster))
    assert _report(tmp_path / "two") == one


def test_interrupted_cluster_scan_resumes_with_cluster_only(
    pg: Database, sources: tuple[str, ...], one: dict[str, Any], cluster: LocalCluster, tmp_path: Path
) -> None:
    # A cluster scan that stopped after two of its batches (run here, in this process).
    config = ScanConfig(sources=sources, out_dir=str(tmp_path / "two"), workers=1)
    state = start_or_resume(pg, config, resume=False)
    load_matcher(pg, state, config)
    plans = [tasks.plan_source(i, s, state.options["limits"], 3) for i, s in enumerate(sources)]
    planned = taskstore.store_plan(pg, state.id, plans, 0, 6, 1 << 40)
    assert len(planned) > 3
    url = pg.url.render_as_string(hide_password=False)
    try:
        for t in (planned[1], planned[-1]):
            tasks.run_batch(tasks.BatchJob(url, state.id, t.source, t.source_seq, t.first_seq, t.end_seq, 1))
    finally:
        for pool in tasks._POOLS.values():
            pool.close()
        tasks._POOLS.clear()
        tasks._DATABASES.pop(url).dispose()
    with pytest.raises(ScanStateError, match="started with --cluster"):
        service.scan(pg, ACTOR, config, resume=True)
    service.scan(pg, ACTOR, config, resume=True, cluster=_on(cluster))
    got = json.loads((tmp_path / "two" / "report.json").read_text())
    assert got["scan"]["runs"] == 2  # the refused one-process resume is not a run
    for key in VOLATILE:
        got["scan"].pop(key)
    assert got == one
    assert len(_workers(pg)) == len(planned) and all(_workers(pg))


class _CrashError(Exception):
    pass


def _crash_after(events: Iterator[Any], n: int) -> Iterator[Any]:
    for i, event in enumerate(events):
        if i == n:
            raise _CrashError
        yield event


def test_one_process_scan_resumes_on_a_cluster(
    pg: Database,
    sources: tuple[str, ...],
    one: dict[str, Any],
    cluster: LocalCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipeline, "COMMIT_EVERY_EVENTS", 3)
    monkeypatch.setattr(pipeline, "WINDOW_MIN", 2)
    monkeypatch.setattr(pipeline, "WINDOW_PER_WORKER", 1)
    config = ScanConfig(sources=sources, out_dir=str(tmp_path / "two"), workers=1)
    state = start_or_resume(pg, config, resume=False)
    scanner = Scanner(pg, config, state, load_matcher(pg, state, config))
    with pytest.raises(_CrashError):
        scanner.run(_crash_after(iter_sources(sources), 13))
    assert 0 < state.next_seq <= 13
    service.scan(pg, ACTOR, config, resume=True, cluster=_on(cluster))
    got = json.loads((tmp_path / "two" / "report.json").read_text())
    assert got["scan"]["runs"] == 2
    for key in VOLATILE:
        got["scan"].pop(key)
    assert got == one
    assert min(t.first_seq for t in taskstore.load_tasks(pg, state.id)) == state.next_seq
