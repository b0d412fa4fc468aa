"""`netsafe audit verify`, `GET /audit/verify` and the audit page's check give one answer: the chain, the
events replayed from the journals of ended processes, and those still waiting in a running process's
journal (written while an import held the SQLite store's write lock)."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from netsafe.audit.journal import JournalFile, journal_dir
from netsafe.audit.service import Actor
from netsafe.store.db import sqlite_path

from .conftest import Doors

WAITING = (
    "3 event(s) waiting in audit journals (written while another process, an import say, held the store's "
    "write lock): they join the chain when it is free"
)


def _journal(doors: Doors, events: int) -> JournalFile:
    store = sqlite_path(doors.db.url)
    assert store is not None
    journal = JournalFile.create(journal_dir(store))  # held (flock) by this process: a running worker's
    journal.append([(Actor("user:live"), "match", None, {}, "ok")] * events, datetime.now(UTC))
    return journal


def test_every_door_reports_the_events_waiting_in_a_running_process_journal(doors: Doors) -> None:
    journal = _journal(doors, 3)
    try:
        cli = doors.cli("audit", "verify")
        api = doors.api.get("/api/v1/audit/verify", headers=doors.service.bearer("auditor"))
        page = doors.service.signed_in("auditor").get("/audit", params={"check": "1"})
    finally:
        journal.close()
    assert cli.exit_code == 0, cli.output
    assert api.status_code == 200 and page.status_code == 200
    body = api.json()
    assert cli.stderr.splitlines() == body["notes"] == [WAITING]
    assert body["waiting"] == 3 and body["replayed"] == 0 and body["store_busy"] is False
    assert body["ok"] is True and cli.stdout.startswith("audit log intact: ")
    assert body["verdict"].startswith("audit log intact: ")
    assert WAITING in html.unescape(page.text)


def test_the_api_replays_an_ended_process_journal_as_the_cli_does(doors: Doors) -> None:
    _journal(doors, 2).close()  # its lock released: the process that wrote it has ended
    body = doors.api.get("/api/v1/audit/verify", headers=doors.service.bearer("auditor")).json()
    assert body["replayed"] == 2 and body["waiting"] == 0 and body["ok"] is True
    assert body["notes"] == ["2 event(s) from the audit journals of ended processes added to the chain"]
    cli = doors.cli("audit", "verify")
    assert cli.exit_code == 0 and cli.stderr == ""  # nothing left to replay: the API did it
