"""An anchor (an event's sequence number and hash, kept outside the store) catches what the chain alone
cannot: the end of the log cut off, or rewritten, with ``audit_head`` set to match."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, update
from typer.testing import CliRunner

from netsafe.audit.models import AuditEventRow, AuditHeadRow
from netsafe.audit.service import Actor, Anchor, AnchorError, anchor, record, verify
from netsafe.cli import app as cli
from netsafe.store.db import Database, open_database

from .helpers import make_service


def _fill(db: Database, n: int) -> None:
    for i in range(n):
        with db.session() as session:
            record(session, Actor(f"user:u{i}", "127.0.0.1"), "match", None, {"n": i})


def _cut_after(db: Database, last: int) -> None:
    """What someone with write access to the store can do: remove the newest events, mend the head."""
    with db.session() as session:
        kept = session.get(AuditEventRow, last)
        assert kept is not None
        session.execute(delete(AuditEventRow).where(AuditEventRow.seq > last))
        session.execute(update(AuditHeadRow).values(seq=last, hash=kept.hash))


def test_a_cut_off_end_passes_the_chain_but_not_the_anchor(db: Database) -> None:
    _fill(db, 5)
    with db.sessions() as session:
        kept = anchor(session)
    assert kept.seq == 5
    _cut_after(db, 3)
    with db.sessions() as session:
        assert verify(session).ok  # the chain alone cannot tell
        result = verify(session, anchors=(kept,))
    assert not result.ok and result.broken_seq == 5
    assert result.problem == "anchored event 5 is gone: the log ends at event 3 (events were cut off the end)"


def test_a_rewritten_end_fails_the_anchor(db: Database) -> None:
    _fill(db, 5)
    with db.sessions() as session:
        kept = anchor(session)
    _cut_after(db, 3)
    _fill(db, 2)  # new events 4 and 5 in place of the removed ones
    with db.sessions() as session:
        assert verify(session).ok
        result = verify(session, anchors=(kept,))
    assert not result.ok and result.broken_seq == 5
    assert result.problem is not None and result.problem.startswith("event 5 is not the anchored one")


def test_an_older_anchor_holds_while_the_log_grows(db: Database) -> None:
    _fill(db, 3)
    with db.sessions() as session:
        kept = anchor(session)
    _fill(db, 3)
    with db.sessions() as session:
        assert verify(session, anchors=(kept, Anchor(0, "0" * 64))).ok


@pytest.mark.parametrize(
    "bad", ["", "5", "x:" + "a" * 64, "5:" + "a" * 63, "5:" + "g" * 64, "-1:" + "a" * 64]
)
def test_a_malformed_anchor_is_refused(bad: str) -> None:
    with pytest.raises(AnchorError, match="expected SEQ:HASH"):
        Anchor.parse(bad)


def test_cli_anchor_and_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("NETSAFE_DATABASE_URL", url)
    db = open_database(url)
    _fill(db, 4)
    runner = CliRunner()
    printed = runner.invoke(cli, ["audit", "anchor"])
    assert printed.exit_code == 0, printed.output
    kept = printed.stdout.strip()
    assert Anchor.parse(kept).seq == 4
    ok = runner.invoke(cli, ["audit", "verify", "--anchor", kept])
    assert ok.exit_code == 0 and "1 anchor(s) present" in ok.stdout
    _cut_after(db, 2)
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    broken = runner.invoke(cli, ["audit", "verify", "--anchor", kept])
    assert broken.exit_code == 1
    assert broken.stderr.splitlines() == [
        "audit log BROKEN: anchored event 4 is gone: the log ends at event 2 (events were cut off the end)"
    ]
    malformed = runner.invoke(cli, ["audit", "verify", "--anchor", "4"])
    assert malformed.exit_code == 2 and len(malformed.stderr.splitlines()) == 1
    assert "expected SEQ:HASH" in malformed.stderr
    db.dispose()


def test_api_anchor_and_verify(sqlite_db: Database) -> None:
    service = make_service(sqlite_db)
    client = service.client()
    assert client.get("/api/v1/audit/anchor", headers=service.bearer("analyst")).status_code == 403
    got = client.get("/api/v1/audit/anchor", headers=service.bearer("auditor"))
    assert got.status_code == 200
    body = got.json()
    assert body["anchor"] == f"{body['seq']}:{body['hash']}"
    with sqlite_db.sessions() as session:
        assert verify(session, anchors=(Anchor.parse(body["anchor"]),)).ok
    url = "/api/v1/audit/verify"
    intact = client.get(url, params={"anchor": body["anchor"]}, headers=service.bearer("auditor")).json()
    assert intact["ok"] is True
    service.app.state.netsafe.audit.drain()  # the reads' own events (audit.read), written after the anchor
    _cut_after(sqlite_db, body["seq"] - 1)
    cut = client.get(url, params={"anchor": body["anchor"]}, headers=service.bearer("auditor")).json()
    # Gone, or replaced by an event appended since the cut (this request's audit.read may be written first).
    assert cut["ok"] is False and cut["broken_seq"] == body["seq"]
    assert cut["problem"].startswith((f"anchored event {body['seq']} is gone", f"event {body['seq']} is not"))
    bad = client.get(url, params={"anchor": "nonsense"}, headers=service.bearer("auditor"))
    assert bad.status_code == 422 and "expected SEQ:HASH" in bad.json()["error"]["message"]


@given(st.text(max_size=200))
def test_any_text_is_an_anchor_or_one_line_saying_why_not(text: str) -> None:
    try:
        kept = Anchor.parse(text)
    except AnchorError as err:
        assert "\n" not in str(err) and len(str(err)) < 400
    else:
        assert Anchor.parse(str(kept)) == kept and len(kept.hash) == 64


@given(st.integers(min_value=0, max_value=2**62), st.text("0123456789abcdefABCDEF", min_size=64, max_size=64))
def test_every_printed_anchor_parses_back(seq: int, digest: str) -> None:
    assert Anchor.parse(f" {seq}:{digest}\n") == Anchor(seq, digest.lower())


def test_no_anchor_is_given_for_a_head_that_does_not_match_its_event(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service(sqlite_db, audit_summary_seconds=3600)
    anchor_url = "/api/v1/audit/anchor"
    # The first read is audited at once; the second, within the window, only counted: it cannot append
    # an event (which would move the head on) between the corruption below and its own reading.
    assert service.client().get(anchor_url, headers=service.bearer("auditor")).status_code == 200
    service.app.state.netsafe.audit.drain()
    with sqlite_db.session() as session:
        session.execute(update(AuditHeadRow).values(hash="f" * 64))
    monkeypatch.setenv("NETSAFE_DATABASE_URL", str(sqlite_db.url))
    printed = CliRunner().invoke(cli, ["audit", "anchor"])
    assert printed.exit_code == 1 and printed.stdout == "" and len(printed.stderr.splitlines()) == 1
    got = service.client().get(anchor_url, headers=service.bearer("auditor"))
    assert got.status_code == 409 and "run `netsafe audit verify`" in got.json()["error"]["message"]
