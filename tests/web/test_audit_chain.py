"""The audit log is a hash chain: edits and deletions anywhere are found and named."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from typer.testing import CliRunner

from netsafe.audit.chain import event_hash
from netsafe.audit.models import AuditEventRow, AuditHeadRow
from netsafe.audit.service import Actor, AuditFilter, record, search, verify
from netsafe.cli import app as cli
from netsafe.store.db import Database, open_database


def _fill(db: Database, n: int) -> None:
    for i in range(n):
        with db.session() as session:
            record(
                session,
                Actor(f"user:u{i}", "127.0.0.1"),
                "match",
                None,
                {"n": i, "signals": {"md5": "0" * 32}},
            )


def test_intact_chain_verifies_on_both_backends(db: Database) -> None:
    _fill(db, 5)
    with db.session() as session:
        result = verify(session)
    assert result.ok and result.checked == 5 and result.head_seq == 5


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (update(AuditEventRow).where(AuditEventRow.seq == 3).values(actor="user:someone-else"), "event 3 "),
        (update(AuditEventRow).where(AuditEventRow.seq == 2).values(details='{"n":99}'), "event 2 "),
        (update(AuditEventRow).where(AuditEventRow.seq == 4).values(prev_hash="f" * 64), "event 4 "),
        (delete(AuditEventRow).where(AuditEventRow.seq == 3), "event 3 is missing"),
        (delete(AuditEventRow).where(AuditEventRow.seq == 5), "event 5 is missing"),
    ],
)
def test_tampering_is_found_and_named(db: Database, change: object, expect: str) -> None:
    _fill(db, 5)
    with db.session() as session:
        session.execute(change)  # type: ignore[call-overload]
    with db.session() as session:
        result = verify(session)
    assert not result.ok
    assert result.problem is not None and expect in result.problem


def test_rehashing_an_edited_row_still_breaks_the_next_link(db: Database) -> None:
    _fill(db, 4)
    with db.session() as session:
        row = session.get(AuditEventRow, 2)
        assert row is not None
        row.actor = "user:forged"
        row.hash = event_hash(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            outcome=row.outcome,
            ip=row.ip,
            details=row.details,
            prev=row.prev_hash,
        )
    with db.session() as session:
        result = verify(session)
    assert not result.ok and result.broken_seq == 3


def test_cli_verify_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("NETSAFE_DATABASE_URL", url)
    db = open_database(url)
    _fill(db, 3)
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    exported = runner.invoke(cli, ["audit", "export"])
    assert exported.exit_code == 0
    lines = [json.loads(line) for line in exported.output.splitlines()]
    # The export carries everything needed to re-check the chain without the database.
    prev = "0" * 64
    for item in lines:
        assert item["prev_hash"] == prev
        from datetime import datetime

        at = datetime.fromisoformat(item["at"].rstrip("Z"))
        assert (
            event_hash(
                seq=item["seq"],
                at=at,
                actor=item["actor"],
                action=item["action"],
                target=item["target"],
                outcome=item["outcome"],
                ip=item["ip"],
                details=item["details_json"],
                prev=prev,
            )
            == item["hash"]
        )
        prev = item["hash"]
    assert [i["seq"] for i in lines][:3] == [1, 2, 3]
    with db.session() as session:
        session.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(target="x"))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "event 2" in broken.output
    db.dispose()


def test_group_commit_writer_keeps_the_chain_under_concurrency(db: Database) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from netsafe.audit.writer import AuditWriter

    writer = AuditWriter(db)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: writer.submit(Actor(f"user:u{i}"), "match", None, {"i": i}), range(200)))
    with db.session() as session:
        result = verify(session)
        seen = sorted(json.loads(r.details)["i"] for r in session.query(AuditEventRow).all())
    assert result.ok and result.checked == 200 and seen == list(range(200))


def test_group_commit_writer_reports_failures_to_every_waiter(tmp_path: Path) -> None:
    from netsafe.audit.writer import AuditWriter

    db = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    writer = AuditWriter(db)
    writer.submit(Actor("user:a"), "match")
    with db.session() as session:
        session.execute(text("DROP TABLE audit_events"))
    with pytest.raises(Exception, match="audit_events"):
        writer.submit(Actor("user:a"), "match")
    db.dispose()


def test_group_commit_writer_serves_event_loops_without_threads(db: Database) -> None:
    import asyncio

    from netsafe.audit.writer import AuditWriter

    writer = AuditWriter(db)

    async def many() -> None:
        await asyncio.gather(
            *(writer.submit_async(Actor(f"user:u{i}"), "match", None, {"i": i}) for i in range(300))
        )

    before = threading.active_count()
    asyncio.run(many())
    assert threading.active_count() <= before + 1  # the writer thread, nothing per request
    with db.session() as session:
        result = verify(session)
        seen = sorted(json.loads(r.details)["i"] for r in session.query(AuditEventRow).all())
    assert result.ok and result.checked == 300 and seen == list(range(300))


def test_async_waiters_hear_failures_and_cancelled_ones_do_not_break_the_batch(tmp_path: Path) -> None:
    import asyncio

    from netsafe.audit.writer import AuditWriter

    db = open_database(f"sqlite:///{tmp_path / 'w.db'}")
    writer = AuditWriter(db)

    async def cancelled_then_ok() -> None:
        gone = asyncio.ensure_future(writer.submit_async(Actor("user:gone"), "match"))
        await asyncio.sleep(0)
        gone.cancel()
        await writer.submit_async(Actor("user:a"), "match")

    asyncio.run(cancelled_then_ok())
    with db.session() as session:
        session.execute(text("DROP TABLE audit_events"))
    with pytest.raises(Exception, match="audit_events"):
        asyncio.run(writer.submit_async(Actor("user:a"), "match"))
    db.dispose()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a_b", ["a_b", "a_b.x"]),  # not "axb.y": "_" matches any one character in LIKE
        ("100%", ["100%.done"]),  # not "1000.done" nor "100 percent.done"
        ("x\\y", ["x\\y.z"]),  # not "xQy.z" (a backslash escapes in some LIKE dialects)
    ],
)
def test_the_action_filter_matches_wildcards_literally(db: Database, query: str, expected: list[str]) -> None:
    actions = ["a_b", "a_b.x", "axb.y", "100%.done", "1000.done", "100 percent.done", "x\\y.z", "xQy.z"]
    with db.session() as session:
        for action in actions:
            record(session, Actor("user:u"), action)
    with db.session() as session:
        found = [row.action for row in search(session, AuditFilter(action=query), limit=100)]
    assert sorted(found) == sorted(expected)


def test_verify_while_events_are_appended_finds_nothing_wrong(db: Database) -> None:
    # Each statement sees its own snapshot: a head read after the walk is ahead of the events walked.
    from netsafe.audit.writer import AuditWriter

    _fill(db, 50)
    writer = AuditWriter(db)
    stop = threading.Event()

    def append() -> None:
        while not stop.is_set():
            writer.submit(Actor("user:busy"), "match", None, {})

    thread = threading.Thread(target=append)
    thread.start()
    try:
        results = []
        for _ in range(30):
            with db.sessions() as session:
                results.append(verify(session))
    finally:
        stop.set()
        thread.join()
    assert [r.problem for r in results if not r.ok] == []
    assert results[-1].checked > 50


def test_events_beyond_the_head_are_found(db: Database) -> None:
    _fill(db, 5)
    with db.session() as session:
        third = session.get(AuditEventRow, 3)
        assert third is not None
        session.execute(update(AuditHeadRow).values(seq=3, hash=third.hash))
    with db.sessions() as session:
        result = verify(session)
    assert not result.ok and result.problem == "the chain head (event 3) does not match the last event 5"
