"""Writers of one SQLite file take turns on a file lock, across processes, not in the busy handler."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import netsafe.store.db as store_db
from netsafe.audit.service import Actor, verify
from netsafe.audit.writer import AuditWriter
from netsafe.store.db import StoreError, open_database
from netsafe.store.writeturn import WriteTurn


def _hold(path: str, held: threading.Event | None, seconds: float) -> None:
    turn = WriteTurn(Path(path), 30)
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
        turn = WriteTurn(tmp_path / "store.db", 30)
        started = time.monotonic()
        with turn():
            waited = time.monotonic() - started
        turn.close()
    finally:
        other.join(30)
    assert 0.2 < waited < 5  # it waited for the other's half second, not past it by a busy-handler sleep


def test_threads_of_one_process_take_turns_too(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "store.db", 30)
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


def test_a_turn_held_too_long_gives_one_clear_line(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "store.db", 0.2)
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with turn():
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"write turn \(.*store\.db\.write-lock\) for over 0 s"), turn():
            pass
        assert 0.15 < time.monotonic() - started < 5
    finally:
        done.set()
        holder.join(10)
    with turn():  # free again
        pass
    turn.close()


def test_an_unusable_lock_file_falls_back_to_sqlite_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "store.db.write-lock").mkdir()  # cannot be opened as a file, even by root
    db = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        writer = AuditWriter(db)
        with caplog.at_level(logging.WARNING, logger="netsafe.store"):
            for i in range(3):
                writer.submit(Actor("worker"), "match", None, {"n": i})
        with db.session() as session:
            assert verify(session).checked == 3
    finally:
        db.dispose()
    warnings = [r.getMessage() for r in caplog.records if "write-lock" in r.getMessage()]
    assert len(warnings) == 1 and "busy handler" in warnings[0]
