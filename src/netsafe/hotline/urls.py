"""Reported URLs: checked, then normalised (url-normalize) so that one page reported twice is one URL.

Normalising lowercases the scheme and host, drops a default port, fixes percent-encoding, encodes an
international host name (IDNA) and drops the fragment (it never reaches the server). The original is kept
beside it; only the normalised form is compared.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from url_normalize import url_normalize

from netsafe.errors import InvalidInput

MAX_URL = 2048
_HOST = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$"
)


# A URL url-normalize would give back unchanged: lowercase http(s), a lowercase ASCII host of plain labels
# (no port, no user, no IDNA "xn--", no trailing dot), a path of unreserved characters with no empty, "." or
# ".." segment (a segment may not start with a dot), no query, no fragment. Most URLs checked against the
# deterrence list look like this, and url-normalize costs 50-500 µs; tests/hotline/test_urls.py checks with
# hypothesis that this gives what the full normaliser gives.
_ALREADY_NORMAL = re.compile(
    r"(?:http|https)://((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)"
    r"((?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?)"
)


class UrlError(InvalidInput, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class NormalisedUrl:
    original: str
    normalised: str
    host: str


def normalise(text: str, field: str = "url") -> NormalisedUrl:
    """The URL as given (trimmed) and its normalised form; ``UrlError`` naming ``field`` when it is not a
    web address (http or https, with a host)."""
    original = text.strip()
    fast = _already_normal(original) if len(original) <= MAX_URL else None
    return fast if fast is not None else _normalise_fully(original, field)


def _normalise_fully(original: str, field: str) -> NormalisedUrl:
    if not original:
        raise UrlError(f"{field}: give the address of the page (http:// or https://)")
    if len(original) > MAX_URL:
        raise UrlError(f"{field}: longer than {MAX_URL} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in original):
        raise UrlError(f"{field}: a web address has no spaces or control characters")
    # A bare "example.com/page" is what people type: read it as http (capture follows any redirect).
    original_for_parse = original if "://" in original else "http://" + original
    scheme = original_for_parse.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise UrlError(f"{field}: only http:// and https:// addresses can be reported, not {scheme[:20]}://")
    try:
        normalised = url_normalize(original_for_parse, default_scheme="http")
        if normalised is None:
            raise ValueError
        parts = urlsplit(normalised)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except (ValueError, UnicodeError):
        raise UrlError(f"{field}: not a web address that can be read") from None
    if not host or not _host_ok(host):
        raise UrlError(f"{field}: the address has no valid host name")
    normalised = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
    if len(normalised) > MAX_URL * 3:
        raise UrlError(f"{field}: longer than {MAX_URL} characters once encoded")
    return NormalisedUrl(original, normalised, host.rstrip("."))


def _already_normal(original: str) -> NormalisedUrl | None:
    """The answer without url-normalize for a URL already in its normal form, else None."""
    found = _ALREADY_NORMAL.fullmatch(original)
    if found is None:
        return None
    host, path = found.groups()
    if "--" in host or not _host_ok(host):
        return None  # IDNA labels and hosts the full rule refuses take the full rule
    return NormalisedUrl(original, original if path else original + "/", host)


def _host_ok(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return _HOST.match(host) is not None
