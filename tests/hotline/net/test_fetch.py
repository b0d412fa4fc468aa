"""fetch: the SSRF rules on every hop, the pinned connection, the byte and time caps, sniffing."""

from __future__ import annotations

import gzip
import socket
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from netsafe.errors import Rejected, Unavailable
from netsafe.hotline.fetch import FetchBudget, FetchFailed, FetchRefused, fetch, forbidden_reason
from netsafe.hotline.settings import HotlineSettings

from .conftest import FakeResolver, Route, Site, free_port, image_bytes


def test_fetches_a_page_through_the_resolved_address_with_the_name_as_host(
    site: Site, settings: HotlineSettings, resolver: FakeResolver
) -> None:
    site.routes["/page"] = Route(200, b"<html><body>hello</body></html>", {"Content-Type": "text/html"})
    got = fetch(site.url("/page", "site.test"), settings=settings, resolver=resolver)
    assert got.status == 200
    assert got.body == b"<html><body>hello</body></html>"
    assert got.content_type == "text/html"
    assert got.truncated is False
    assert got.address == "127.0.0.1"
    assert site.requests == [("/page", f"site.test:{site.port}")]
    assert resolver.calls == ["site.test"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "ff02::1",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
    ],
)
def test_forbidden_addresses(address: str) -> None:
    assert forbidden_reason(address, []) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(address, []) is None


def test_loopback_refused_without_the_allow_list(site: Site, resolver: FakeResolver) -> None:
    site.routes["/"] = Route(200, b"secret admin page")
    bare = HotlineSettings()
    for url in (site.url("/"), site.url("/", "site.test"), f"http://[::1]:{site.port}/"):
        with pytest.raises(FetchRefused) as caught:
            fetch(url, settings=bare, resolver=resolver)
        assert caught.value.reason == "private"
        assert isinstance(caught.value, Rejected)
        assert "\n" not in str(caught.value)
    assert site.requests == []  # refused before any connection


def test_private_name_refused_even_with_loopback_allowed(
    settings: HotlineSettings, resolver: FakeResolver
) -> None:
    for host in ("private.test", "metadata.test"):
        with pytest.raises(FetchRefused) as caught:
            fetch(f"http://{host}/", settings=settings, resolver=resolver)
        assert caught.value.reason == "private"
        assert host in str(caught.value)


def test_redirect_to_a_private_address_is_refused(site: Site, resolver: FakeResolver) -> None:
    only_one = HotlineSettings(fetch_allow_networks=["127.0.0.1/32"], fetch_timeout_seconds=5.0)
    site.routes["/to-literal"] = Route(302, b"", {"Location": "http://10.0.0.1/admin"})
    site.routes["/to-name"] = Route(301, b"", {"Location": f"http://inside.test:{site.port}/x"})
    site.routes["/to-metadata"] = Route(307, b"", {"Location": "http://metadata.test/latest/meta-data/"})
    for path in ("/to-literal", "/to-name", "/to-metadata"):
        with pytest.raises(FetchRefused) as caught:
            fetch(site.url(path), settings=only_one, resolver=resolver)
        assert caught.value.reason == "private"
        assert str(caught.value).startswith("redirect refused")
    assert [path for path, _ in site.requests] == ["/to-literal", "/to-name", "/to-metadata"]


def test_redirect_to_another_scheme_is_refused(site: Site, settings: HotlineSettings) -> None:
    site.routes["/file"] = Route(302, b"", {"Location": "file:///etc/passwd"})
    with pytest.raises(FetchRefused) as caught:
        fetch(site.url("/file"), settings=settings)
    assert caught.value.reason == "scheme"


@pytest.mark.parametrize(
    "url", ["ftp://site.test/x", "file:///etc/passwd", "gopher://site.test/", "javascript:1"]
)
def test_other_schemes_refused(url: str, settings: HotlineSettings, resolver: FakeResolver) -> None:
    with pytest.raises(FetchRefused) as caught:
        fetch(url, settings=settings, resolver=resolver)
    assert caught.value.reason in ("scheme", "url")
    assert resolver.calls == []


def test_redirects_are_followed_and_recorded(
    site: Site, settings: HotlineSettings, resolver: FakeResolver
) -> None:
    site.routes["/a"] = Route(301, b"", {"Location": "/b"})
    site.routes["/b"] = Route(302, b"", {"Location": f"http://site.test:{site.port}/c"})
    site.routes["/c"] = Route(200, image_bytes(), {"Content-Type": "text/plain"})
    got = fetch(site.url("/a"), settings=settings, resolver=resolver)
    assert got.status == 200
    assert got.redirects == [site.url("/b"), site.url("/c", "site.test")]
    assert got.final_url == site.url("/c", "site.test")
    assert got.content_type == "image/png"  # sniffed, whatever the header claimed
    assert resolver.calls == ["site.test"]  # one lookup for the one hop with a name


def test_too_many_redirects(site: Site, resolver: FakeResolver) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_max_redirects=3)
    site.routes["/loop"] = Route(302, b"", {"Location": "/loop"})
    with pytest.raises(FetchFailed) as caught:
        fetch(site.url("/loop"), settings=settings, resolver=resolver)
    assert caught.value.reason == "redirects"
    assert isinstance(caught.value, Unavailable)
    assert len(site.requests) == 4


def test_dns_rebinding_cannot_move_the_connection(
    site: Site, settings: HotlineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once; the socket layer is only ever asked for that address, never the name."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["10.9.9.9"]])
    asked: list[Any] = []
    real = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    site.routes["/"] = Route(200, b"<html>ok</html>")
    got = fetch(site.url("/", "rebind.test"), settings=settings, resolver=lambda host: next(answers))
    assert got.address == "127.0.0.1"
    assert next(answers) == ["10.9.9.9"]  # the resolver was asked exactly once
    assert "rebind.test" not in asked
    assert site.requests == [("/", f"rebind.test:{site.port}")]


def test_first_allowed_address_is_used(site: Site, settings: HotlineSettings, resolver: FakeResolver) -> None:
    site.routes["/"] = Route(200, b"fine")
    got = fetch(site.url("/", "mixed.test"), settings=settings, resolver=resolver)
    assert got.address == "127.0.0.1"


def test_dns_failure(settings: HotlineSettings, resolver: FakeResolver) -> None:
    with pytest.raises(FetchFailed) as caught:
        fetch("http://gone.test/page", settings=settings, resolver=resolver)
    assert caught.value.reason == "dns"
    assert str(caught.value) == "the host gone.test could not be resolved"


def test_connection_refused(settings: HotlineSettings) -> None:
    with pytest.raises(FetchFailed) as caught:
        fetch(f"http://127.0.0.1:{free_port()}/", settings=settings)
    assert caught.value.reason == "refused"


def test_oversize_body_is_cut_at_the_cap(site: Site) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_max_item_bytes=1000)
    site.routes["/big"] = Route(200, b"x" * 2_000_000)
    got = fetch(site.url("/big"), settings=settings)
    assert got.truncated is True
    assert len(got.body) == 1000
    exact = fetch(site.url("/big"), settings=settings, max_bytes=2_000_000)
    assert exact.truncated is False
    assert len(exact.body) == 2_000_000


def test_compressed_bomb_is_cut_at_the_cap(site: Site) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_max_item_bytes=10_000)
    bomb = gzip.compress(b"\0" * 50_000_000)
    site.routes["/bomb"] = Route(200, bomb, {"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        got = fetch(site.url("/bomb"), settings=settings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # never inflated beyond the cap
    assert got.truncated is True
    assert len(got.body) == 10_000
    site.routes["/small"] = Route(200, gzip.compress(b"<html>hi</html>"), {"Content-Encoding": "gzip"})
    assert fetch(site.url("/small"), settings=settings).body == b"<html>hi</html>"


def test_budget_is_charged_and_caps_the_body(site: Site, settings: HotlineSettings) -> None:
    site.routes["/big"] = Route(200, b"y" * 5000)
    budget = FetchBudget(bytes_left=3000)
    got = fetch(site.url("/big"), settings=settings, budget=budget)
    assert len(got.body) == 3000 and got.truncated
    assert budget.bytes_left == 0 and budget.exhausted
    with pytest.raises(FetchFailed) as caught:
        fetch(site.url("/big"), settings=settings, budget=budget)
    assert caught.value.reason == "budget"


def _trickle(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    try:
        for _ in range(100000):
            handler.wfile.write(b"z")
            handler.wfile.flush()
            time.sleep(0.02)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _dribble(handler: BaseHTTPRequestHandler) -> None:
    """A byte every 0.9 s: each read on its own is within a 1 s time-out, only the total is not."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    try:
        for _ in range(100):
            handler.wfile.write(b"z")
            handler.wfile.flush()
            time.sleep(0.9)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _stall(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "10")
    handler.end_headers()
    handler.wfile.flush()
    time.sleep(10)


@pytest.mark.parametrize("behaviour", [_trickle, _dribble, _stall])
def test_slow_responses_are_cut_off_at_the_total_time(site: Site, behaviour: Any) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_timeout_seconds=1.0)
    site.routes["/slow"] = behaviour
    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch(site.url("/slow"), settings=settings)
    took = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert 0.9 < took < 1.5


def test_not_found_is_returned_not_raised(site: Site, settings: HotlineSettings) -> None:
    got = fetch(site.url("/nothing"), settings=settings)
    assert got.status == 404


def test_html_sniffed_against_a_lying_header(site: Site, settings: HotlineSettings) -> None:
    site.routes["/p"] = Route(200, b"\n  <!DOCTYPE html><title>x</title>", {"Content-Type": "image/jpeg"})
    site.routes["/bin"] = Route(200, b"\x00\x01binary", {"Content-Type": "text/html"})
    assert fetch(site.url("/p"), settings=settings).content_type == "text/html"
    assert fetch(site.url("/bin"), settings=settings).content_type == "application/octet-stream"


def test_credentials_in_the_url_are_not_sent(site: Site, settings: HotlineSettings) -> None:
    seen: list[str | None] = []

    def record(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("Authorization"))
        handler.send_response(204)
        handler.end_headers()

    site.routes["/"] = record
    fetch(f"http://user:pass@127.0.0.1:{site.port}/", settings=settings)
    assert seen == [None]


def test_a_resolver_that_hangs_is_cut_off_at_the_total_time(site: Site) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_timeout_seconds=0.5)

    def hanging(host: str) -> list[str]:
        time.sleep(3)
        return ["127.0.0.1"]

    started = time.monotonic()
    with pytest.raises(FetchFailed) as caught:
        fetch(site.url("/", "slow-dns.test"), settings=settings, resolver=hanging)
    assert caught.value.reason == "timeout" and time.monotonic() - started < 1.5


def test_the_next_address_is_tried_when_one_refuses(site: Site, settings: HotlineSettings) -> None:
    site.routes["/"] = Route(200, b"up")
    several = FakeResolver({"several.test": ["127.0.0.3", "10.0.0.1", "127.0.0.1"]})
    got = fetch(site.url("/", "several.test"), settings=settings, resolver=several)
    assert (got.status, got.address) == (200, "127.0.0.1")  # 127.0.0.3 refused; 10.0.0.1 never tried
    with pytest.raises(FetchFailed) as caught:
        fetch(
            site.url("/", "several.test"),
            settings=settings,
            resolver=FakeResolver({"several.test": ["127.0.0.3"]}),
        )
    assert caught.value.reason == "refused"
