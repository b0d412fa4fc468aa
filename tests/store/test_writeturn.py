"""Writers of one SQLite file take turns on a file lock, across processes, not in the busy handler."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import netsafe.store.db as store_db
from netsafe.audit.service import Actor, verify
from netsafe.audit.writer import AuditWriter
from netsafe.store.db import open_database
from netsafe.store.writeturn import WriteTurn


def _hold(path: str, held: threading.Event | None, seconds: float) -> None:
    turn = WriteTurn(Path(path))
    with turn():
        if held is not None:
            held.set()
        time.sleep(seconds)
    turn.close()


def test_another_process_waits_for_the_turn_and_gets_it_at_once_when_released(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    held = ctx.Event()
    other = ctx.Process(target=_hold, args=(str(tmp_path / "store.db"), held, 0.5))
    other.start()
    try:
        assert held.wait(30), "the other process never took its turn"
        turn = WriteTurn(tmp_path / "store.db")
        started = time.monotonic()
        with turn():
            waited = time.monotonic() - started
        turn.close()
    finally:
        other.join(30)
    assert 0.2 < waited < 5  # it waited for the other's half second, not past it by a busy-handler sleep


def test_threads_of_one_process_take_turns_too(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "store.db")
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        with turn():
            with guard:
                inside += 1
                most = max(most, inside)
            time.sleep(0.002)
            with guard:
                inside -= 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: work(), range(64)))
    turn.close()
    assert most == 1


def test_two_workers_audit_writers_share_a_sqlite_file_without_busy_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No busy handler at all: a writer finding SQLite's lock taken fails at once, so only the turns keep
    # the two workers' writers (separate connections, separate lock files handles) out of each other's way.
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 0)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first, second = open_database(url), open_database(url)
    writers = [AuditWriter(first), AuditWriter(second)]

    def submit(i: int) -> None:
        writers[i % 2].submit(Actor(f"worker{i % 2}"), "match", None, {"n": i})

    try:
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(submit, range(400)))
        with first.session() as session:
            result = verify(session)
    finally:
        first.dispose()
        second.dispose()
    assert result.ok and result.checked == 400
