"""check_removed: gone, refused or no longer carrying a confirmed item; and not removed when unsure."""

from __future__ import annotations

import functools
import hashlib
import io
import time
from http.server import BaseHTTPRequestHandler

import pytest
from PIL import Image, ImageDraw

from netsafe.hotline.fetch import fetch
from netsafe.hotline.removal import check_removed, hash_item
from netsafe.hotline.settings import HotlineSettings

from .conftest import FakeResolver, Route, Site, free_port, image_bytes


def _scene(fmt: str, quality: int = 95) -> bytes:
    """A benign picture with structure (PDQ needs some), saved as ``fmt``."""
    picture = Image.new("RGB", (256, 256), (240, 240, 230))
    draw = ImageDraw.Draw(picture)
    for i in range(0, 256, 32):
        draw.rectangle((i, i // 2, i + 20, 200 - i // 3), fill=(i, 255 - i, (i * 3) % 255))
    draw.ellipse((60, 60, 190, 160), outline=(10, 10, 10), width=6)
    out = io.BytesIO()
    picture.save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()


SCENE = _scene("PNG")
SCENE_SHA = hashlib.sha256(SCENE).hexdigest()
OTHER = image_bytes("PNG", (10, 90, 200))


def _page(site: Site, *images: str) -> None:
    site.routes["/page"] = Route(
        200, b"<html>" + b"".join(b'<img src="%s">' % i.encode() for i in images) + b"</html>"
    )


def test_present_then_gone(site: Site, settings: HotlineSettings) -> None:
    _page(site, "/a.png", "/b.png")
    site.routes["/a.png"] = Route(200, OTHER)
    site.routes["/b.png"] = Route(200, SCENE)
    first = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert (first.removed, first.reason, first.present) == (False, "present", [site.url("/b.png")])
    for status in (404, 410):
        site.routes["/page"] = Route(status, b"gone")
        gone = check_removed(site.url("/page"), {SCENE_SHA.upper()}, settings=settings)
        assert (gone.removed, gone.reason, gone.status) == (True, "gone", status)


def test_page_up_without_the_confirmed_item_is_removed(site: Site, settings: HotlineSettings) -> None:
    _page(site, "/a.png", "/b.png")
    site.routes["/a.png"] = Route(200, OTHER)  # /b.png now answers 404: it was taken down
    result = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert (result.removed, result.reason) == (True, "no-confirmed-item")


def test_a_reencoded_copy_is_still_present_by_pdq(site: Site, settings: HotlineSettings) -> None:
    confirmed_pdq = hash_item(SCENE).pdq
    assert confirmed_pdq is not None
    _page(site, "/again.jpg")
    site.routes["/again.jpg"] = Route(200, _scene("JPEG", quality=60))
    without_pdq = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert without_pdq.removed is True  # a different file: SHA-256 alone cannot see it
    result = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings, confirmed_pdq=[confirmed_pdq])
    assert (result.removed, result.reason) == (False, "present")


def test_the_page_itself_being_the_image(site: Site, settings: HotlineSettings) -> None:
    site.routes["/i.png"] = Route(200, SCENE)
    assert check_removed(site.url("/i.png"), {SCENE_SHA}, settings=settings).reason == "present"


def test_dns_failure_and_refused_connection_are_removed(
    settings: HotlineSettings, resolver: FakeResolver
) -> None:
    by_name = functools.partial(fetch, resolver=resolver)
    dns = check_removed("http://vanished.test/page", {SCENE_SHA}, settings=settings, fetcher=by_name)
    assert (dns.removed, dns.reason) == (True, "dns")
    refused = check_removed(f"http://127.0.0.1:{free_port()}/page", {SCENE_SHA}, settings=settings)
    assert (refused.removed, refused.reason) == (True, "refused")


def test_a_host_moved_into_a_private_network_is_not_removed(
    settings: HotlineSettings, resolver: FakeResolver
) -> None:
    result = check_removed(
        "http://private.test/page",
        {SCENE_SHA},
        settings=settings,
        fetcher=functools.partial(fetch, resolver=resolver),
    )
    assert (result.removed, result.reason) == (False, "blocked")


def _slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(3)


def test_unsure_is_not_removed(site: Site) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_timeout_seconds=0.5)
    _page(site, "/a.png", "/slow.png")
    site.routes["/a.png"] = Route(200, OTHER)
    site.routes["/slow.png"] = _slow
    item_slow = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert (item_slow.removed, item_slow.reason) == (False, "inconclusive")
    site.routes["/page"] = _slow
    page_slow = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert (page_slow.removed, page_slow.reason) == (False, "unreachable")
    site.routes["/page"] = Route(503, b"busy")
    busy = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert (busy.removed, busy.reason) == (False, "inconclusive")


def test_limits_that_leave_links_unfetched_are_inconclusive(site: Site) -> None:
    settings = HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_max_items=1)
    _page(site, "/a.png", "/b.png")
    site.routes["/a.png"] = Route(200, OTHER)
    site.routes["/b.png"] = Route(200, SCENE)
    result = check_removed(site.url("/page"), {SCENE_SHA}, settings=settings)
    assert (result.removed, result.reason) == (False, "inconclusive")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_hash_item_matches_the_engine(fmt: str) -> None:
    data = image_bytes(fmt)
    hashes = hash_item(data)
    assert hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert hashes.pdq is not None and len(hashes.pdq) == 64
    assert hash_item(b"not an image").pdq is None
