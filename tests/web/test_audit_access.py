"""Refused requests, /hash uploads and reads of hash sets, users, tokens and the audit log are audited;
refusals and reads are summarised (audit/summary.py), so nobody can flood the log by sending them."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from netsafe.audit.service import Actor, AuditFilter, as_dict, search
from netsafe.audit.summary import AuditSummary
from netsafe.store.db import Database

from .helpers import BASE, Service, jpeg_bytes, make_service


def _events(service: Service, action: str) -> list[dict[str, Any]]:
    """The events of ``action`` (or its prefix), oldest first, once everything handed over is written."""
    service.app.state.netsafe.audit.drain()
    with service.db.sessions() as session:
        rows = search(session, AuditFilter(action=action), limit=1000)
    return [as_dict(row) for row in reversed(rows)]


def _summarising(sqlite_db: Database, seconds: float = 3600.0, **settings: Any) -> Service:
    return make_service(sqlite_db, audit_summary_seconds=seconds, **settings)


def test_each_kind_of_refusal_is_audited_with_its_reason(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db)
    client = service.client()
    assert client.get("/api/v1/hashsets").status_code == 401
    bad = {"Authorization": "Bearer nst_not-a-token"}
    assert client.get("/api/v1/hashsets", headers=bad).status_code == 401
    assert client.get("/api/v1/users", headers=service.bearer("analyst")).status_code == 403
    admin = service.signed_in("admin")
    assert admin.post("/api/v1/hashsets", json={"name": "x"}).status_code == 403  # no CSRF header
    assert service.signed_in("auditor").get("/admin").status_code == 403
    events = _events(service, "access.denied")
    seen = [
        (e["actor"], e["ip"], e["target"], e["details"]["status"], e["details"]["reason"]) for e in events
    ]
    assert seen == [
        ("anonymous", "testclient", "/api/v1/hashsets", 401, "no credentials"),
        ("anonymous", "testclient", "/api/v1/hashsets", 401, "invalid token"),
        ("token:tok-analyst@analyst", "testclient", "/api/v1/users", 403, "lacks admin"),
        ("user:admin", "testclient", "/api/v1/hashsets", 403, "csrf"),
        ("user:auditor", "testclient", "/admin", 403, "lacks admin"),
    ]
    assert all(e["outcome"] == "denied" and e["details"]["count"] == 1 for e in events)


def test_a_flood_of_refusals_is_one_event_with_a_count(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db)
    client = service.client()
    bad = {"Authorization": "Bearer nst_not-a-token"}
    for _ in range(300):
        assert (
            client.post("/api/v1/match", json={"signals": {"md5": "0" * 32}}, headers=bad).status_code == 401
        )
    assert [e["details"]["count"] for e in _events(service, "access.denied")] == [1]
    service.app.state.netsafe.summary.flush()  # the window's end, or the server's
    assert [e["details"]["count"] for e in _events(service, "access.denied")] == [1, 299]


def test_the_count_is_written_when_the_window_ends(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db, seconds=0.3)
    client = service.client()
    for _ in range(10):
        client.get("/api/v1/audit/events")
    deadline = time.monotonic() + 10
    counts: list[int] = []
    while time.monotonic() < deadline:
        counts = [e["details"]["count"] for e in _events(service, "access.denied")]
        if sum(counts) == 10:
            break
        time.sleep(0.1)
    assert counts[0] == 1 and sum(counts) == 10 and len(counts) <= 3, counts


def test_a_refused_match_through_the_fast_path_is_audited_once(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db)
    answer = service.client().post(
        "/api/v1/match", json={"signals": {"md5": "0" * 32}}, headers=service.bearer("auditor")
    )
    assert answer.status_code == 403
    events = _events(service, "access.denied")
    assert [(e["details"]["reason"], e["details"]["count"]) for e in events] == [("lacks match", 1)]


def test_reads_of_hash_sets_users_tokens_and_the_log_are_audited_and_summarised(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db)
    client = service.client()
    for _ in range(3):
        assert client.get("/api/v1/hashsets", headers=service.bearer("analyst")).status_code == 200
    assert client.get("/api/v1/users", headers=service.bearer("admin")).status_code == 200
    assert client.get("/api/v1/tokens", headers=service.bearer("admin")).status_code == 200
    assert client.get("/api/v1/audit/events", headers=service.bearer("auditor")).status_code == 200
    assert service.signed_in("admin").get("/admin").status_code == 200
    assert service.signed_in("analyst").get("/hashsets").status_code == 200
    service.app.state.netsafe.summary.flush()
    reads = [
        (e["action"], e["actor"], e["target"], e["details"]["count"])
        for e in _events(service, "hashset.read") + _events(service, "admin.read") + _events(service, "audit")
    ]
    assert reads == [
        ("hashset.read", "token:tok-analyst@analyst", "/api/v1/hashsets", 1),
        ("hashset.read", "user:analyst", "/hashsets", 1),
        ("hashset.read", "token:tok-analyst@analyst", "/api/v1/hashsets", 2),  # the window's two more
        ("admin.read", "token:tok-admin@admin", "/api/v1/users", 1),
        ("admin.read", "token:tok-admin@admin", "/api/v1/tokens", 1),
        ("admin.read", "user:admin", "/admin", 1),
        ("audit.read", "token:tok-auditor@auditor", "/api/v1/audit/events", 1),
    ]


def test_a_match_is_not_a_read(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db)
    before = _events(service, "")[-1]["seq"]
    h = service.bearer("analyst")
    service.client().post("/api/v1/match", json={"signals": {"md5": "0" * 32}}, headers=h)
    service.client().get("/api/v1/ready", headers=h)
    service.app.state.netsafe.summary.flush()
    assert [e["action"] for e in _events(service, "") if e["seq"] > before] == ["match"]


def test_every_hash_upload_is_audited(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, max_upload_bytes=200_000)
    client = service.client()
    h = service.bearer("analyst")
    photo = jpeg_bytes(3)
    for _ in range(2):
        answer = client.post(
            "/api/v1/hash", files={"file": ("dir/holiday.jpg", photo, "image/jpeg")}, headers=h
        )
        assert answer.status_code == 200
    big = client.post("/api/v1/hash", files={"file": ("big.bin", b"x" * 200_001)}, headers=h)
    assert big.status_code == 413
    events = _events(service, "hash")
    assert len(events) == 3
    first = events[0]
    assert first["actor"] == "token:tok-analyst@analyst" and first["outcome"] == "ok"
    assert first["details"]["name"] == "holiday.jpg" and first["details"]["size"] == len(photo)
    assert first["details"]["signals"]["md5"] == answer.json()["md5"]
    assert first["details"]["signals"]["pdq"] == answer.json()["pdq"]
    assert events[2]["outcome"] == "failed" and events[2]["details"]["status"] == 413


def test_pending_counts_are_written_when_the_server_stops(sqlite_db: Database) -> None:
    service = _summarising(sqlite_db)
    with TestClient(service.app, base_url=BASE) as client:
        for _ in range(5):
            client.get("/api/v1/tokens")
    with service.db.sessions() as session:
        rows = search(session, AuditFilter(action="access.denied"))
    assert sorted(as_dict(r)["details"]["count"] for r in rows) == [1, 4]


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_made_up_keys_beyond_the_bound_share_one_overflow_event() -> None:
    emitted: list[tuple[Actor, str, str | None, dict[str, Any], str]] = []
    clock = _Clock()
    summary = AuditSummary(lambda *event: emitted.append(event), window=60, max_keys=3, clock=clock)
    for i in range(100):
        summary.note(("denied", f"10.0.0.{i}"), Actor("anonymous", f"10.0.0.{i}"), "access.denied", "/", {})
    assert len(emitted) == 4  # three keys, then one overflow event for the other 97
    assert emitted[3][0].name == "many:overflow" and emitted[3][3]["overflow"] is True
    clock.now += 61
    summary.note(("denied", "10.0.0.200"), Actor("anonymous", "10.0.0.200"), "access.denied", "/", {})
    # The window ended: the overflow's count is written and idle keys are forgotten, freeing their room.
    assert [e[3]["count"] for e in emitted[4:]] == [96, 1]
    assert emitted[5][0].ip == "10.0.0.200"
    assert sum(e[3]["count"] for e in emitted) == 101


def test_no_window_records_every_one() -> None:
    emitted: list[object] = []
    summary = AuditSummary(lambda *event: emitted.append(event), window=0)
    for _ in range(5):
        summary.note("k", Actor("a"), "access.denied", None, {})
    assert len(emitted) == 5
