"""The /match fast path answers exactly as the framework's endpoint does, or hands the request over."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from netsafe.audit.models import AuditEventRow
from netsafe.store.db import Database
from netsafe.web import fastpath
from netsafe.web.app import create_app
from netsafe.web.config import Settings

from .helpers import Service, make_service

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
NEAR = PDQ[:-2] + "dd"  # a few bits away
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
HEADERS = (
    "content-type",
    "cache-control",
    "x-content-type-options",
    "content-security-policy",
    "referrer-policy",
    "x-frame-options",
    "www-authenticate",
    "retry-after",
)


@pytest.fixture
def pair(sqlite_db: Database) -> tuple[Service, Service]:
    fast = make_service(sqlite_db)
    settings = Settings(rate_limit_per_minute=0, index_refresh_seconds=0.2, fast_match=False)
    slow = Service(create_app(settings, sqlite_db), sqlite_db, tokens=fast.tokens)
    client, h = fast.client(), fast.bearer("curator")
    for name in ("bank", "other"):
        assert client.post("/api/v1/hashsets", json={"name": name}, headers=h).status_code == 201
    entries = [
        {"signals": {"pdq": PDQ}, "category": "A", "source_id": "m1"},
        {"signals": {"md5": MD5}, "category": "C"},
    ]
    added = client.post("/api/v1/hashsets/bank/entries", json={"entries": entries}, headers=h)
    assert added.status_code == 200, added.text
    other = [{"signals": {"pdq": NEAR}, "category": "B"}]
    added = client.post("/api/v1/hashsets/other/entries", json={"entries": other}, headers=h)
    assert added.status_code == 200, added.text
    return fast, slow


BODIES: list[Any] = [
    {"signals": {"pdq": NEAR}},
    {"signals": {"pdq": NEAR}, "hashsets": ["bank"]},
    {"signals": {"pdq": NEAR}, "max_distance": 0},
    {"signals": {"PDQ": NEAR.upper(), "md5": MD5}},
    {"signals": {"pdq": "0" * 64}},
    {"signals": {"pdq": NEAR}, "pdq_dihedral": [NEAR, "0" * 64]},
    {"signals": {"pdq": NEAR}, "hashsets": ["nope"]},  # 404
    {"signals": {"pdq": "zz" * 32}},  # 422 bad hex
    {"signals": {"pdq": NEAR[:32]}},  # 422 wrong length
    {"signals": {"sha512": "ab" * 64}},  # 422 unknown signal
    {"signals": {}},  # 422 none given
    {"signals": {"pdq": NEAR}, "max_distance": 65},  # 422 out of range
    {"signals": {"pdq": NEAR}, "surprise": 1},
    {"signals": {"pdq": NEAR}, "deep": json.loads("[" * 70 + "]" * 70)},  # the JSON body guard's 422
    {"signals": {"pdq": NEAR}, "n": int("9" * 300)},
    "not json at all",
    [1, 2, 3],
]


def _send(service: Service, body: Any, who: str | None, content_type: str) -> tuple[int, Any, dict[str, str]]:
    headers = {"Content-Type": content_type}
    if who is not None:
        headers |= service.bearer(who)
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    # The framework re-raises after answering a 500 (for the server's log); the test wants the answer.
    client = service.client(raise_server_exceptions=False)
    response = client.post("/api/v1/match", content=raw, headers=headers)
    kept = {k: response.headers.get(k, "") for k in HEADERS}
    return response.status_code, response.json(), kept


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_fast_and_framework_paths_answer_alike(pair: tuple[Service, Service], body: Any) -> None:
    fast, slow = pair
    for who, content_type in (
        ("analyst", "application/json"),
        ("match-only", "application/json; charset=utf-8"),
        ("auditor", "application/json"),  # no match permission: 403
        ("expired", "application/json"),  # 401
        (None, "application/json"),  # 401
    ):
        assert _send(fast, body, who, content_type) == _send(slow, body, who, content_type), (who, body)


def test_the_fast_path_answers_and_audits_like_the_endpoint(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = pair
    calls: list[object] = []
    original = fastpath.run_match_async

    async def counted(*args: Any) -> Any:
        calls.append(args)
        return await original(*args)

    monkeypatch.setattr(fastpath, "run_match_async", counted)
    body = {"signals": {"pdq": NEAR}}
    for service in (fast, slow):
        status, found, _ = _send(service, body, "analyst", "application/json")
        assert status == 200 and [m["hashset"] for m in found["matches"]] == ["other", "bank"]
    assert len(calls) == 1  # the fast app answered itself, the other went through FastAPI
    with fast.db.session() as session:
        fast_event, slow_event = session.query(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(2)
    assert fast_event.action == slow_event.action == "match"
    assert fast_event.details == slow_event.details and fast_event.actor == slow_event.actor


def test_a_request_is_rate_counted_once_whichever_path_answers(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, rate_limit_per_minute=1, rate_limit_burst=3)
    h = service.bearer("analyst")
    client = service.client()
    assert client.post("/api/v1/match", json={"signals": {"pdq": "zz"}}, headers=h).status_code == 422
    assert client.post("/api/v1/match", json={"signals": {"pdq": PDQ}}, headers=h).status_code == 200
    assert client.post("/api/v1/match", json={"signals": {"pdq": PDQ}}, headers=h).status_code == 200
    limited = client.post("/api/v1/match", json={"signals": {"pdq": PDQ}}, headers=h)
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert limited.json()["error"]["code"] == "rate_limited"


def test_a_large_body_is_handed_over_whole(pair: tuple[Service, Service]) -> None:
    fast, _ = pair
    # Many short strings: one string over 64 KiB is refused by the JSON body guard (issue 18).
    padding = ["x" * 1000] * (fastpath.MAX_JSON_BYTES // 1000 + 1)
    body = json.dumps({"signals": {"pdq": NEAR}, "hashsets": ["bank"], "pad": padding})
    response = fast.client().post(
        "/api/v1/match", content=body, headers=fast.bearer("analyst") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 200 and response.json()["matches"][0]["category"] == "A"


def _chunked(body: bytes) -> Iterator[bytes]:
    yield body  # a generator: httpx sends it chunked, without a Content-Length


def test_a_large_chunked_body_is_handed_over_whole(pair: tuple[Service, Service]) -> None:
    fast, slow = pair
    # Many short strings: one string over 64 KiB is refused by the JSON body guard (issue 18).
    padding = ["x" * 1000] * (fastpath.MAX_JSON_BYTES // 1000 + 1)
    body = json.dumps({"signals": {"pdq": NEAR}, "hashsets": ["bank"], "pad": padding}).encode()
    headers = fast.bearer("analyst") | {"Content-Type": "application/json"}
    answers = []
    for service in (fast, slow):
        response = service.client().post("/api/v1/match", content=_chunked(body), headers=headers)
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] and answers[0][0] == 200


def test_a_chunked_body_over_the_limit_gets_the_413_on_the_fast_path_too(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, max_upload_bytes=1000)  # the limit is that plus 64 KB for the form
    body = json.dumps({"signals": {"pdq": NEAR}, "pad": "x" * 200_000}).encode()
    headers = service.bearer("analyst") | {"Content-Type": "application/json"}
    response = service.client().post("/api/v1/match", content=_chunked(body), headers=headers)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_kind_of_answer_carries_the_security_headers(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = pair
    body = {"signals": {"pdq": NEAR}}
    answers = [_send(fast, body, "analyst", "application/json"), _send(fast, body, None, "application/json")]
    _break_matching(monkeypatch, "boom")
    answers += [
        _send(fast, body, "analyst", "application/json"),
        _send(slow, body, "analyst", "application/json"),
    ]
    assert [a[0] for a in answers] == [200, 401, 500, 500]
    for _, _, headers in answers:
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"


def test_repeated_headers_are_read_as_the_framework_reads_them(pair: tuple[Service, Service]) -> None:
    fast, slow = pair
    body = json.dumps({"signals": {"pdq": NEAR}}).encode()
    good = fast.bearer("analyst")["Authorization"]
    cases = [
        [("Authorization", "Bearer nst_x"), ("Authorization", good), ("Content-Type", "application/json")],
        [("Authorization", good), ("Content-Type", "text/plain"), ("Content-Type", "application/json")],
    ]
    for headers in cases:
        answers = [s.client().post("/api/v1/match", content=body, headers=headers) for s in (fast, slow)]
        assert answers[0].status_code == answers[1].status_code != 200
        assert answers[0].json() == answers[1].json()


def test_wide_and_dihedral_searches_leave_the_event_loop(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    from netsafe.web import matching as web_matching

    fast, _ = pair
    hops: list[object] = []
    original = web_matching.run_in_threadpool

    async def counted(func: Any, *args: Any) -> Any:
        hops.append(func)
        return await original(func, *args)

    monkeypatch.setattr(web_matching, "run_in_threadpool", counted)
    client, h = fast.client(), fast.bearer("analyst")
    assert client.get("/api/v1/ready", headers=h).status_code == 200
    assert client.post("/api/v1/match", json={"signals": {"pdq": NEAR}}, headers=h).status_code == 200
    inline = len(hops)
    for extra in ({"max_distance": 64}, {"pdq_dihedral": [NEAR]}):
        found = client.post("/api/v1/match", json={"signals": {"pdq": NEAR}} | extra, headers=h)
        assert found.status_code == 200 and found.json()["matches"]
    assert len(hops) == inline + 2


def _break_matching(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    """Both paths' match code raises an unexpected error with ``message``."""
    from netsafe.web.api import matching as api_matching

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(message)

    monkeypatch.setattr(fastpath, "run_match_async", broken)
    monkeypatch.setattr(api_matching, "run_match_async", broken)


def test_an_unexpected_error_gets_the_same_500_on_both_paths(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_matching(monkeypatch, "sensitive detail 0123456789abcdef")
    fast, slow = pair
    body = {"signals": {"pdq": NEAR}}
    fast_answer = _send(fast, body, "analyst", "application/json")
    slow_answer = _send(slow, body, "analyst", "application/json")
    assert fast_answer[0] == 500
    assert fast_answer == slow_answer
    assert "sensitive" not in json.dumps(fast_answer[1])


def test_the_fast_path_is_outside_the_middleware_stack_only_when_on(sqlite_db: Database) -> None:
    on = create_app(Settings(rate_limit_per_minute=0), sqlite_db)
    off = create_app(Settings(rate_limit_per_minute=0, fast_match=False), sqlite_db)
    on_stack, off_stack = on.build_middleware_stack(), off.build_middleware_stack()
    assert isinstance(getattr(on_stack, "app", None), fastpath.MatchFastPath)  # just inside the headers
    assert not isinstance(getattr(off_stack, "app", None), fastpath.MatchFastPath)


def test_the_servers_log_of_an_escaped_exception_keeps_its_stack_not_its_message(
    pair: tuple[Service, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import logging

    # Built at run time: the logged stack shows source lines, which must not be what hides the message.
    _break_matching(monkeypatch, "hash f8f8" + "f0ce of case-" + "0042.jpg")
    _, slow = pair
    client = slow.client(raise_server_exceptions=True)
    try:
        client.post("/api/v1/match", json={"signals": {"pdq": NEAR}}, headers=slow.bearer("analyst"))
    except RuntimeError as err:
        escaped = err  # what uvicorn would log with logger.exception(...)
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(handler)
    try:
        server_log.error("Exception in ASGI application", exc_info=escaped)
    finally:
        server_log.removeHandler(handler)
    text = log.getvalue()
    assert "RuntimeError (message withheld)" in text and "in broken" in text  # the stack is kept
    assert "f8f8f0ce" not in text and "case-0042" not in text
