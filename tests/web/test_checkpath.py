"""The /deterrence/check fast path answers as the framework's route does, or hands the request over."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor
from netsafe.deterrence import checking, counting, lists
from netsafe.services.accounts import create_token
from netsafe.store.db import Database
from netsafe.web import checkpath
from netsafe.web.app import create_app
from netsafe.web.config import Settings

from .helpers import Service, make_service

PATH = "/api/v1/deterrence/check"
HEADERS = (
    "content-type",
    "content-length",
    "cache-control",
    "x-content-type-options",
    "content-security-policy",
    "referrer-policy",
    "x-frame-options",
    "www-authenticate",
    "retry-after",
)


def _set_up(service: Service) -> None:
    checker = service.app.state.netsafe.deterrence
    checker.refresh_seconds = 0
    checker.tally.flush_seconds = 0


@pytest.fixture
def pair(sqlite_db: Database) -> tuple[Service, Service]:
    fast = make_service(sqlite_db)
    slow = Service(create_app(Settings(rate_limit_per_minute=0, fast_check=False), sqlite_db), sqlite_db)
    slow.tokens = fast.tokens
    with sqlite_db.session() as session:
        secret, _ = create_token(session, Actor("test"), "platform", frozenset({Permission.DETERRENCE}))
    fast.tokens["platform"] = secret
    for service in (fast, slow):
        _set_up(service)
    lists.import_list(
        sqlite_db, Actor("t"), "iwf", "url", "files.example.org\nhttp://example.net/a/*\n", "txt"
    )
    lists.import_list(sqlite_db, Actor("t"), "terms", "keyword", "pthc\n", "txt")
    return fast, slow


DEEP = {"query": "x", "extra": json.loads("[" * 70 + "]" * 70)}
BODIES: list[Any] = [
    {"query": "p.t.h.c zq7731"},  # a hit
    {"query": "holiday photos"},
    {"url": "http://files.example.org/x"},
    {"url": "https://example.net/a/b/c.jpg"},
    {"url": "HTTP://Files.Example.ORG:80/x/../y#z"},  # the full normaliser
    {"url": "http://example.com/"},
    {"url": "example.com/page"},
    {"url": "javascript:zq7731"},  # 422 from the check
    {"url": "http://exa mple.com/"},
    {"url": "http://a-.example/"},
    {"url": "http://files.example.org/" + "a" * 2100},  # over max_length
    {"query": "q" * 1001},
    {"query": "x", "url": "http://example.com/"},  # both
    {},  # neither
    {"query": None},
    {"query": 7},
    {"url": ["http://example.com/"]},
    {"query": "pthc", "surprise": 1},
    DEEP,  # refused by the JSON body guard
    {"query": "x", "n": int("9" * 300)},  # a number longer than the guard allows
    {"query": "\u00e9t\u00e9 pthc \u0000"},
    "not json at all",
    '{"query": "pthc"',
    "[1, 2, 3]",
    '{"query": "pthc"}' + " " * (checkpath.MAX_CHECK_BYTES + 10),  # over the fast path's size: handed over
]


def _send(
    service: Service, body: Any, who: str | None, content_type: str, token: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Content-Type": content_type}
    if who is not None:
        headers |= service.bearer(who)
    if token is not None:
        headers |= {"Authorization": token}
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = service.client(raise_server_exceptions=False).post(PATH, content=raw, headers=headers)
    kept = {k: response.headers.get(k, "") for k in HEADERS}
    return response.status_code, response.content, kept


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_fast_and_framework_paths_answer_alike(pair: tuple[Service, Service], body: Any) -> None:
    fast, slow = pair
    for who, content_type in (
        ("platform", "application/json"),
        ("curator", "application/json; charset=utf-8"),
        ("match-only", "application/json"),  # no deterrence permission: 403
        ("expired", "application/json"),  # 401
        (None, "application/json"),  # 401
        ("platform", "text/plain"),
    ):
        fast_answer = _send(fast, body, who, content_type)
        assert fast_answer == _send(slow, body, who, content_type), (who, body)
        assert b"7731" not in fast_answer[1]


@pytest.mark.parametrize("token", ["Bearer nst_made_up", "Bearer ", "Basic abc", "bearer  "])
def test_bad_credentials_answer_alike(pair: tuple[Service, Service], token: str) -> None:
    fast, slow = pair
    body = {"query": "pthc"}
    assert _send(fast, body, None, "application/json", token) == _send(
        slow, body, None, "application/json", token
    )


def test_the_fast_path_answers_and_counts_itself(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = pair
    routed: list[object] = []
    original = checking.check

    def counted(*args: Any, **kwargs: Any) -> Any:
        routed.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(checking, "check", counted)
    for service in (fast, slow):
        status, body, _ = _send(service, {"query": "pthc"}, "platform", "application/json")
        assert status == 200 and json.loads(body)["blocked"] is True
    assert len(routed) == 1  # the fast app answered itself, the other went through FastAPI
    rows = counting.counts(fast.db)
    assert [(r["list"], r["checks"]) for r in rows] == [("terms", 2)]  # both counted, in the same cell


def test_a_store_that_cannot_take_the_counts_does_not_fail_the_check(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = pair

    def refuse(*args: object) -> None:
        raise OSError("disk full")

    for service in (fast, slow):
        tally = service.app.state.netsafe.deterrence.tally
        monkeypatch.setattr(tally, "flush", refuse)
        status, body, _ = _send(service, {"query": "pthc"}, "platform", "application/json")
        assert status == 200 and json.loads(body)["blocked"] is True
        assert sum(tally._cells.values()) == 1  # kept for the next flush


def test_counts_are_written_within_flush_seconds_without_more_checks(pair: tuple[Service, Service]) -> None:
    fast, _ = pair
    checker = fast.app.state.netsafe.deterrence
    checker.tally.flush_seconds = 3600  # no check finds a flush due
    with fast.client() as client:  # the app's lifespan runs: its flusher with it
        for _ in range(3):
            got = client.post(PATH, json={"query": "pthc"}, headers=fast.bearer("platform"))
            assert got.status_code == 200
        assert counting.counts(fast.db) == []
        checker.tally.flush_seconds = 0.3
        for _ in range(100):
            if [r["checks"] for r in counting.counts(fast.db)] == [3]:
                break
            threading.Event().wait(0.05)
        # Written by the flusher, with no check to find the flush due: a crash loses at most flush_seconds.
        assert [r["checks"] for r in counting.counts(fast.db)] == [3]


def test_no_check_waits_for_the_flush_it_finds_due(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, _ = pair
    checker = fast.app.state.netsafe.deterrence
    checker.tally.flush_seconds = 0.01
    started, release = threading.Event(), threading.Event()

    def slow_flush() -> None:
        started.set()
        release.wait(10)

    monkeypatch.setattr(checker, "flush_quietly", slow_flush)
    threading.Event().wait(0.05)  # a flush is due
    with fast.client() as client:  # one event loop for the request and what it leaves running
        try:
            t0 = time.monotonic()
            got = client.post(PATH, json={"query": "pthc"}, headers=fast.bearer("platform"))
            assert got.status_code == 200 and time.monotonic() - t0 < 5
            assert started.wait(5)  # the flush did start, behind the answer
        finally:
            release.set()
