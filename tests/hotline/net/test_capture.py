"""capture_page: the page and its media within the report's limits; one bad item costs only itself."""

from __future__ import annotations

import functools
import time
from http.server import BaseHTTPRequestHandler

import pytest

from netsafe.hotline.capture import capture_page
from netsafe.hotline.fetch import FetchFailed, FetchRefused, fetch
from netsafe.hotline.settings import HotlineSettings

from .conftest import FakeResolver, Route, Site, image_bytes

RED, GREEN, BLUE = image_bytes("PNG", (200, 30, 30)), image_bytes("JPEG", (30, 200, 30)), image_bytes("GIF")


def _gallery(site: Site) -> None:
    site.routes["/gallery"] = Route(
        200,
        b"""<html><body><img src="/red.png"><img src="/green.jpg"><a href="/blue.gif">blue</a>
        <a href="/fake.jpg">not an image</a><img src="/missing.png"><img src="http://private.test/x.png">
        <img src="/red.png"></body></html>""",
        {"Content-Type": "text/html"},
    )
    site.routes["/red.png"] = Route(200, RED, {"Content-Type": "text/plain"})
    site.routes["/green.jpg"] = Route(200, GREEN, {"Content-Type": "image/jpeg"})
    site.routes["/blue.gif"] = Route(302, b"", {"Location": "/cdn/blue"})
    site.routes["/cdn/blue"] = Route(200, BLUE)
    site.routes["/fake.jpg"] = Route(200, b"<html><p>viewer page</p></html>", {"Content-Type": "image/jpeg"})


def test_captures_the_media_of_a_page(site: Site, settings: HotlineSettings, resolver: FakeResolver) -> None:
    _gallery(site)
    page = capture_page(
        site.url("/gallery"), settings=settings, fetcher=functools.partial(fetch, resolver=resolver)
    )
    assert page.status == 200 and page.content_type == "text/html"
    assert [(item.url, item.kind, item.content_type) for item in page.items] == [
        (site.url("/red.png"), "image", "image/png"),
        (site.url("/green.jpg"), "image", "image/jpeg"),
        (site.url("/cdn/blue"), "image", "image/gif"),
    ]
    assert page.items[0].body == RED and page.items[2].source_url == site.url("/blue.gif")
    assert len(page.errors) == 2
    assert page.errors[0] == f"{site.url('/missing.png')}: HTTP status 404"
    assert page.errors[1].startswith("http://private.test/x.png: refused: private.test resolves to a private")
    assert page.skipped == [f"{site.url('/fake.jpg')}: not an image or a video (text/html); not kept"]
    assert all("\n" not in line for line in page.errors + page.skipped)


def test_a_page_that_is_an_image_is_the_item(site: Site, settings: HotlineSettings) -> None:
    site.routes["/direct"] = Route(301, b"", {"Location": "/i/1"})
    site.routes["/i/1"] = Route(200, GREEN, {"Content-Type": "text/html"})
    page = capture_page(site.url("/direct"), settings=settings)
    assert page.final_url == site.url("/i/1") and page.redirects == [site.url("/i/1")]
    assert [(item.url, item.kind, item.body) for item in page.items] == [(site.url("/i/1"), "image", GREEN)]


def test_a_page_that_is_neither_is_kept_as_other(site: Site, settings: HotlineSettings) -> None:
    site.routes["/archive.zip"] = Route(200, b"PK\x03\x04 some zip")
    page = capture_page(site.url("/archive.zip"), settings=settings)
    assert [(item.kind, item.content_type) for item in page.items] == [("other", "application/octet-stream")]


def test_item_count_limit(site: Site, resolver: FakeResolver) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_max_items=2)
    site.routes["/many"] = Route(200, b"".join(b'<img src="/%d.png">' % i for i in range(5)))
    for i in range(5):
        site.routes[f"/{i}.png"] = Route(200, RED)
    page = capture_page(site.url("/many"), settings=settings)
    assert len(page.items) == 2 and page.links == 5
    assert page.skipped == ["3 more links not fetched: fetch_max_items reached"]
    assert len(site.requests) == 3


def test_report_byte_limit(site: Site) -> None:
    big = image_bytes("PNG", (1, 2, 3), size=256)
    page_html = b"".join(b'<img src="/%d.png">' % i for i in range(4))
    settings = HotlineSettings(
        fetch_allow_networks=["127.0.0.0/8"], fetch_max_report_bytes=len(page_html) + len(big) + 10
    )
    site.routes["/p"] = Route(200, page_html)
    for i in range(4):
        site.routes[f"/{i}.png"] = Route(200, big)
    page = capture_page(site.url("/p"), settings=settings, workers=1)
    assert [item.truncated for item in page.items] == [False, True]
    assert len(page.items[1].body) == 10
    assert page.skipped == ["2 links not fetched: fetch_max_report_bytes (or the time limit) used up"]
    assert page.limited


def test_concurrent_items_keep_their_order_and_the_report_limit(site: Site) -> None:
    pictures = [image_bytes("PNG", (i * 20, 50, 90), size=64) for i in range(8)]
    page_html = b"".join(b'<img src="/%d.png">' % i for i in range(8))
    allowance = len(page_html) + sum(len(p) for p in pictures[:5])
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_max_report_bytes=allowance)
    site.routes["/p"] = Route(200, page_html)
    for i, picture in enumerate(pictures):
        site.routes[f"/{i}.png"] = Route(200, picture)
    page = capture_page(site.url("/p"), settings=settings, workers=4)
    assert sum(len(item.body) for item in page.items) <= allowance - len(page_html)
    urls = [item.url for item in page.items]
    assert urls == sorted(urls, key=lambda u: int(u.rsplit("/", 1)[1].split(".")[0]))
    roomy = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"])
    everything = capture_page(site.url("/p"), settings=roomy, workers=4)
    assert [item.body for item in everything.items] == pictures


def test_items_are_fetched_with_the_page_as_referer(site: Site, settings: HotlineSettings) -> None:
    seen: list[str | None] = []

    def guarded(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("Referer"))
        body = RED if handler.headers.get("Referer") else b"<html>no hotlinking</html>"
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.routes["/p"] = Route(200, b'<img src="/guarded.png">')
    site.routes["/guarded.png"] = guarded
    page = capture_page(site.url("/p"), settings=settings)
    assert seen == [site.url("/p")] and [item.body for item in page.items] == [RED]


def test_a_time_limit_for_the_whole_capture(site: Site) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_timeout_seconds=5.0)

    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.6)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(RED)))
        handler.end_headers()
        handler.wfile.write(RED)

    site.routes["/p"] = Route(200, b"".join(b'<img src="/s%d.png">' % i for i in range(10)))
    for i in range(10):
        site.routes[f"/s{i}.png"] = slow
    started = time.monotonic()
    page = capture_page(site.url("/p"), settings=settings, workers=1, time_limit=1.0)
    assert time.monotonic() - started < 2.5
    assert page.limited and 1 <= len(page.items) < 10


def test_the_page_itself_failing_raises(settings: HotlineSettings, resolver: FakeResolver) -> None:
    fetcher = functools.partial(fetch, resolver=resolver)
    with pytest.raises(FetchRefused):
        capture_page("http://private.test/", settings=settings, fetcher=fetcher)
    with pytest.raises(FetchFailed):
        capture_page("http://nowhere.test/", settings=settings, fetcher=fetcher)


def test_an_error_page_keeps_no_items(site: Site, settings: HotlineSettings) -> None:
    site.routes["/gone"] = Route(410, b'<html><img src="/logo.png"></html>')
    site.routes["/logo.png"] = Route(200, RED)
    page = capture_page(site.url("/gone"), settings=settings)
    assert page.status == 410 and page.items == []
    assert page.errors == ["the page answered HTTP status 410"]


def test_hostile_file_names_and_broken_markup(site: Site, settings: HotlineSettings) -> None:
    site.routes["/evil"] = Route(
        200,
        b'<html><img src="/..%2f..%2fetc%2fpasswd.png"><img src="/a\nb.png"><img src="/%00.png">'
        b'<img src="/\xff\xfe.png"><<img src=/ok.png>>><img src="http://[::1/x.png"><a href="//">',
    )
    site.routes["/ok.png"] = Route(200, RED)
    page = capture_page(site.url("/evil"), settings=settings)
    assert [item.url for item in page.items] == [site.url("/ok.png")]
    assert all("\n" not in line for line in page.errors)


def test_no_referer_from_https_to_http(site: Site, settings: HotlineSettings) -> None:
    seen: list[str | None] = []

    def record(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("Referer"))
        handler.send_response(204)
        handler.end_headers()

    site.routes["/r"] = record
    fetch(site.url("/r"), settings=settings, referer="https://secure.test/page")
    fetch(site.url("/r"), settings=settings, referer="http://plain.test/page")
    fetch(site.url("/r"), settings=settings, referer="http://bad.test/\nX-Injected: 1")
    assert seen == [None, "http://plain.test/page", None]


def test_media_inside_frames_one_level_deep(site: Site, settings: HotlineSettings) -> None:
    seen: dict[str, str | None] = {}

    def green(handler: BaseHTTPRequestHandler) -> None:
        seen[handler.path] = handler.headers.get("Referer")
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(GREEN)))
        handler.end_headers()
        handler.wfile.write(GREEN)

    site.routes["/p"] = Route(
        200,
        b'<img src="/red.png"><iframe src="/frame"></iframe><iframe src="/direct.gif"></iframe>'
        b'<iframe src="/gone"></iframe><iframe src="/p"></iframe>',
    )
    site.routes["/frame"] = Route(200, b'<img src="/green.jpg"><img src="/red.png"><iframe src="/deeper">')
    site.routes["/deeper"] = Route(200, b'<img src="/blue.gif">')
    site.routes["/direct.gif"] = Route(200, BLUE)
    site.routes["/red.png"] = Route(200, RED)
    site.routes["/green.jpg"] = green
    page = capture_page(site.url("/p"), settings=settings)
    assert sorted(item.body for item in page.items) == sorted([RED, GREEN, BLUE])
    assert page.frames == 3 and page.links == 2
    assert seen == {"/green.jpg": site.url("/frame")}  # the frame is the Referer of its own media
    assert page.errors == [f"{site.url('/gone')}: frame not loaded: HTTP status 404"]
    assert "/deeper" not in [path for path, _ in site.requests]
