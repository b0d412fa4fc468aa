"""The media a web page shows or links to, as absolute http(s) URLs, from HTML however broken.

What counts: ``img`` (src, srcset and the usual lazy-loading ``data-*`` attributes), ``picture``/``video``
``source``, ``video`` src and poster, ``input type=image``, Open Graph / Twitter card images and videos,
``<a href>`` to a file whose name ends like an image or a video, and CSS ``url(...)`` in style attributes
and style elements; and, as a separate list, the pages of ``iframe`` and ``frame`` elements. Audio is
outside the remit and skipped. URLs are resolved against ``<base href>`` (the first one, as browsers do) or
the page's URL; fragments are dropped; each list keeps first-seen order.

The stdlib parser never gives up on bad markup, which is what a page built to break scrapers needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from posixpath import splitext
from urllib.parse import urldefrag, urljoin, urlsplit

MEDIA_EXTENSIONS = frozenset(
    {
        # images
        ".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".png", ".apng", ".gif", ".webp", ".bmp", ".tif",
        ".tiff", ".avif", ".heic", ".heif", ".jp2", ".jxl",
        # videos
        ".mp4", ".m4v", ".webm", ".mkv", ".mov", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".3gp", ".ogv",
        ".ts", ".m2ts", ".asf",
    }
)  # fmt: skip

_IMG_ATTRS = ("src", "data-src", "data-original", "data-lazy-src", "data-full", "data-large-file")
_SRCSET_ATTRS = ("srcset", "data-srcset")
_META_NAMES = frozenset(
    {
        "og:image", "og:image:url", "og:image:secure_url", "og:video", "og:video:url",
        "og:video:secure_url", "twitter:image", "twitter:image:src", "twitter:player:stream",
    }
)  # fmt: skip
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
# Browsers strip these from anywhere in a URL attribute before parsing it.
_URL_NOISE = str.maketrans("", "", "\t\n\r")
MAX_URL_LENGTH = 8192


def media_links(html: bytes, base_url: str) -> list[str]:
    return page_links(html, base_url).media


@dataclass(frozen=True, slots=True)
class PageLinks:
    media: list[str]
    frames: list[str]  # iframe / frame pages, whose own media a browser would show inside this page


def page_links(html: bytes, base_url: str) -> PageLinks:
    parser = _MediaParser()
    try:
        parser.feed(html.decode("utf-8", errors="replace"))
        parser.close()
    except (AssertionError, ValueError, IndexError):
        pass  # keep what was found before the markup became unreadable
    base = base_url
    if parser.base_href is not None:
        joined = _join(base_url, parser.base_href)
        if joined is not None:
            base = joined
    return PageLinks(_resolved(base, parser.found), _resolved(base, parser.frames))


def _resolved(base: str, found: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in found:
        url = _join(base, raw)
        if url is not None and url not in seen:
            seen[url] = None
    return list(seen)


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset attribute (WHATWG: a URL runs to whitespace; descriptors to a comma)."""
    urls: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while pos < end and (value[pos] != "," or depth > 0):
                depth += {"(": 1, ")": -1}.get(value[pos], 0)
                pos += 1
        if url:
            urls.append(url)
    return urls


def _join(base: str, raw: str) -> str | None:
    value = raw.translate(_URL_NOISE).strip()
    if not value or len(value) > MAX_URL_LENGTH or value.startswith("#"):
        return None
    try:
        url, _ = urldefrag(urljoin(base, value))
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here, not later in the fetcher
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _media_path(url: str) -> bool:
    try:
        path = urlsplit(url.translate(_URL_NOISE).strip()).path
    except ValueError:
        return False
    return splitext(path.lower())[1] in MEDIA_EXTENSIONS


class _MediaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.frames: list[str] = []
        self.base_href: str | None = None
        self._audio = 0
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        self._style_urls(values.get("style"))
        if tag == "base":
            if self.base_href is None and "href" in values:
                self.base_href = values["href"]
        elif tag == "img":
            self._add(values, _IMG_ATTRS)
            for name in _SRCSET_ATTRS:
                self.found.extend(srcset_urls(values.get(name, "")))
        elif tag == "source" and not self._audio:
            self._add(values, ("src", "data-src"))
            for name in _SRCSET_ATTRS:
                self.found.extend(srcset_urls(values.get(name, "")))
        elif tag == "video":
            self._add(values, ("src", "poster", "data-src"))
        elif tag == "audio":
            self._audio += 1
        elif tag == "input" and values.get("type", "").lower() == "image":
            self._add(values, ("src",))
        elif tag == "meta":
            name = (values.get("property") or values.get("name") or "").strip().lower()
            if name in _META_NAMES:
                self._add(values, ("content",))
        elif tag in ("a", "area"):
            href = values.get("href")
            if href and _media_path(href):
                self.found.append(href)
        elif tag == "style":
            self._in_style = True
        elif tag in ("iframe", "frame") and values.get("src"):
            self.frames.append(values["src"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("audio", "style"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "audio" and self._audio:
            self._audio -= 1
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._style_urls(data)

    def _add(self, values: dict[str, str], names: tuple[str, ...]) -> None:
        for name in names:
            value = values.get(name)
            if value:
                self.found.append(value)

    def _style_urls(self, css: str | None) -> None:
        if css and "url" in css.lower():
            for match in _CSS_URL.finditer(css):
                url = next((group for group in match.groups() if group), None)
                if url:
                    self.found.append(url)
