"""A scan on a Dask LocalCluster of 2 workers on PostgreSQL (issue 16 §1): it reports what the one-process
scan of the same evidence reports, spreads its batches over both workers, and finishes with the same
report when a worker's process is killed in the middle of a batch."""

from __future__ import annotations

import json
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
from netsafe.triage.cluster import parse_cluster
from netsafe.triage.models import ScanEventRow, ScanTaskRow
from netsafe.triage.pipeline import ScanConfig, Scanner, load_matcher, start_or_resume

from .conftest import Evidence

pytest.importorskip("distributed")

ACTOR = Actor("test")
__all__ = ["postgres_server", "postgres_store"]
# Reports differ in these alone: when, how long, which run.
VOLATILE = ("id", "started", "finished", "elapsed_seconds", "runs")


@pytest.fixture()
def pg(
    postgres_store: str, evidence: Evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    # Set before the cluster starts: its worker processes take this process's environment.
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    empty_postgres(postgres_store)
    db = open_database(postgres_store)
    import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture()
def sources(evidence: Evidence, tmp_path: Path) -> tuple[str, ...]:
    """Three evidence items: a folder (with archives and a raw disk image), an E01 image, a zip."""
    zipped = tmp_path / "phone.zip"
    shutil.copy(evidence.folder / "nested.zip", zipped)
    return (str(evidence.folder), str(evidence.e01), str(zipped))


def _report(out: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    for key in VOLATILE:
        report["scan"].pop(key)
    return report


def _scan(db: Database, sources: tuple[str, ...], out: Path, cluster: str | None) -> dict[str, Any]:
    config = ScanConfig(sources=sources, out_dir=str(out), workers=1)
    spec = parse_cluster(cluster) if cluster else None
    service.scan(db, ACTOR, config, cluster=spec)
    return _report(out)


def _workers(db: Database) -> list[str | None]:
    with db.session() as session:
        return list(session.scalars(select(ScanTaskRow.worker).order_by(ScanTaskRow.first_seq)))


def test_cluster_scan_reports_as_one_process_and_spreads(
    pg: Database, sources: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_run, "CHUNK_FILES", 3)
    one = _scan(pg, sources, tmp_path / "one", None)
    got = _scan(pg, sources, tmp_path / "two", "local:2")
    assert got == one
    assert one["summary"]["matches_by_category"] == {"Category A": 4, "Category B": 1, "Category C": 1}
    workers = _workers(pg)
    assert len(workers) > 3 and None not in workers  # the folder and the E01 were cut into batches
    assert len(set(workers)) == 2


def test_worker_killed_mid_batch_changes_nothing(
    pg: Database, sources: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_run, "CHUNK_FILES", 3)
    one = _scan(pg, sources, tmp_path / "one", None)
    # The batch holding the folder's 10th event: its worker stores the batch's events, then its process
    # ends before the task returns.
    marker = tmp_path / "kill-at"
    marker.write_text("10")
    monkeypatch.setenv(tasks.KILL_FILE_ENV, str(marker))
    got = _scan(pg, sources, tmp_path / "two", "local:2")
    assert not marker.exists()  # the hook fired: a worker died holding that batch
    assert got == one
    with pg.session() as session:
        seqs = list(session.scalars(select(ScanEventRow.seq).where(ScanEventRow.scan_id == 2)))
    assert sorted(seqs) == list(range(len(seqs)))  # each event once, none missing


def test_interrupted_cluster_scan_resumes_with_cluster_only(
    pg: Database, sources: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _scan(pg, sources, tmp_path / "one", None)
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
    with pytest.raises(ScanStateError, match="started with --cluster"):
        service.scan(pg, ACTOR, config, resume=True)
    service.scan(pg, ACTOR, config, resume=True, cluster=parse_cluster("local:2"))
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
    pg: Database, sources: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_run, "CHUNK_FILES", 3)
    monkeypatch.setattr(pipeline, "COMMIT_EVERY_EVENTS", 3)
    monkeypatch.setattr(pipeline, "WINDOW_MIN", 2)
    monkeypatch.setattr(pipeline, "WINDOW_PER_WORKER", 1)
    one = _scan(pg, sources, tmp_path / "one", None)
    config = ScanConfig(sources=sources, out_dir=str(tmp_path / "two"), workers=1)
    state = start_or_resume(pg, config, resume=False)
    scanner = Scanner(pg, config, state, load_matcher(pg, state, config))
    with pytest.raises(_CrashError):
        scanner.run(_crash_after(iter_sources(sources), 13))
    assert 0 < state.next_seq <= 13
    service.scan(pg, ACTOR, config, resume=True, cluster=parse_cluster("local:2"))
    got = json.loads((tmp_path / "two" / "report.json").read_text())
    assert got["scan"]["runs"] == 2
    for key in VOLATILE:
        got["scan"].pop(key)
    assert got == one
    assert min(t.first_seq for t in taskstore.load_tasks(pg, state.id)) == state.next_seq
