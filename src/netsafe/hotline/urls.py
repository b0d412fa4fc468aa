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


def _host_ok(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return _HOST.match(host) is not None
