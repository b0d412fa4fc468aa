"""Issue 18 item 1 for the API: JSON bodies nested tens of thousands of levels deep, or with one huge string,
get a one-line 4xx at once, and the server's memory stays bounded (measured with tracemalloc; the app runs
in the TestClient's thread, so its allocations are counted)."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import Service

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
ROUTES = [
    "/api/v1/hashsets/bodies/entries",
    "/api/v1/match",
    "/api/v1/hashsets/bodies/entries/remove",
    "/api/v1/users",
    "/api/v1/tokens",
    "/api/v1/hashsets",
]
BIG = 20_000_000


@pytest.fixture(scope="module")
def bodies_service(shared_service: Service) -> Service:
    client = shared_service.client()
    client.post("/api/v1/hashsets", json={"name": "bodies"}, headers=shared_service.bearer("admin"))
    return shared_service


def _post(service: Service, route: str, body: bytes) -> tuple[int, str, float, int]:
    client = service.client(raise_server_exceptions=False)
    headers = {**service.bearer("admin"), "content-type": "application/json"}
    tracemalloc.start()
    try:
        started = time.perf_counter()
        response = client.post(route, content=body, headers=headers)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response.status_code, response.text, elapsed, peak


def _one_line_error(text: str) -> str:
    message = json.loads(text)["error"]["message"]
    assert isinstance(message, str) and "\n" not in message and len(message) < 300
    return message


def _deep(depth: int) -> Iterator[tuple[str, bytes]]:
    yield "lists", b"[" * depth + b"]" * depth
    yield "objects", b'{"a":' * depth + b"1" + b"}" * depth
    yield (
        "inside a field",
        b'{"entries": [{"signals": {"md5": "'
        + MD5.encode()
        + b'"}, "tags": '
        + (b"[" * depth + b"]" * depth)
        + b"}]}",
    )


@pytest.mark.parametrize("depth", [30_000, 100_000])
@pytest.mark.parametrize("route", ROUTES)
def test_deep_json_body_is_a_one_line_422(bodies_service: Service, route: str, depth: int) -> None:
    for shape, body in _deep(depth):
        status, text, elapsed, peak = _post(bodies_service, route, body)
        assert status == 422, (shape, text)
        assert "nested deeper than 64 levels" in _one_line_error(text), (shape, text)
        # A bound against the old quadratic cost (minutes, gigabytes), not a speed claim: wide enough for a
        # loaded CI machine running the suite on every core under tracemalloc.
        assert elapsed < 10.0 and peak < 20 * 1024 * 1024, (shape, elapsed, peak)


def _long_string_bodies() -> Iterator[tuple[str, bytes]]:
    big = "x" * BIG
    yield (
        "/api/v1/hashsets/bodies/entries",
        json.dumps({"entries": [{"signals": {"md5": MD5}, "comments": big}]}),
    )
    yield "/api/v1/match", json.dumps({"signals": {"md5": big}})
    yield "/api/v1/hashsets/bodies/entries/remove", json.dumps({"ids": [big]})
    yield "/api/v1/users", json.dumps({"name": "u", "role": "viewer", "password": big})
    yield "/api/v1/tokens", json.dumps({"name": big, "scopes": ["match"]})


def test_twenty_megabyte_string_is_refused_early(bodies_service: Service) -> None:
    for route, text_body in _long_string_bodies():
        body = text_body.encode()
        status, text, elapsed, peak = _post(bodies_service, route, body)
        assert status == 422, (route, text)
        assert "string longer than" in _one_line_error(text), (route, text)
        # The body is refused as it streams in: no copy of it, no parse of it.
        assert elapsed < 10.0 and peak < 2 * len(body), (route, elapsed, peak)  # see above: a bound


def test_ordinary_bodies_still_work(bodies_service: Service) -> None:
    client = bodies_service.client()
    headers = bodies_service.bearer("admin")
    entry = {"signals": {"md5": MD5}, "comments": "é" * 5_000, "tags": ["a", "[b]"]}
    response = client.post("/api/v1/hashsets/bodies/entries", json={"entries": [entry]}, headers=headers)
    assert response.status_code == 200, response.text
    response = client.post("/api/v1/match", json={"signals": {"md5": MD5}}, headers=headers)
    assert response.status_code == 200 and response.json()["matches"], response.text
    # A body that is not JSON at all is still the framework's own 422 (the guard only limits shape).
    response = client.post(
        "/api/v1/match", content=b"{nope", headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 422


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(ROUTES),
    body=st.one_of(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.builds(lambda n, s: s * n, st.integers(60, 5000), st.sampled_from([b"[", b'{"a":', b'["', b"[{"])),
    ),
)
def test_any_body_gets_an_answer_not_a_crash(bodies_service: Service, route: str, body: bytes) -> None:
    status, text, _, _ = _post(bodies_service, route, body)
    assert status < 500, text
    if status >= 400:
        _one_line_error(text)
