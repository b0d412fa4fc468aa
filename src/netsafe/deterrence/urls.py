"""URL entries and their matching, after the hotline's normalisation (one rule: ``hotline.urls.normalise``).

An entry is a full URL (that page), a URL ending in ``*`` (every URL starting with it) or a bare host name
with no scheme and no path (the whole host; only these go into DNS exports). A checked URL is normalised
the same way, then looked up by exact URL, by host, and by the prefixes listed for its host. The scheme is
not compared: the same page over http and https is the same page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from netsafe.hotline.urls import UrlError, normalise

URL = "url"
PREFIX = "prefix"
HOST = "host"


@dataclass(frozen=True, slots=True)
class UrlEntry:
    match: str  # url | prefix | host
    value: str  # the normalised URL, prefix or host


def parse_entry(text: str, field: str = "url") -> UrlEntry:
    """An entry as a curator writes it; ``UrlError`` (one line, naming ``field``) when it is not one."""
    raw = text.strip()
    if raw.endswith("*"):
        base = raw[:-1]
        if not base or base.endswith("*"):
            raise UrlError(f"{field}: a prefix is a URL followed by one *")
        # The normaliser gives "/" to an address without a path: "http://h*" is the whole site, "/" on.
        return UrlEntry(PREFIX, normalise(base, field).normalised)
    if "://" not in raw and "/" not in raw and "?" not in raw and "#" not in raw:
        got = normalise(raw, field)
        return UrlEntry(HOST, got.host)
    got = normalise(raw, field)
    return UrlEntry(URL, got.normalised)


@dataclass(frozen=True, slots=True)
class UrlHit:
    entry_id: int
    list_id: int


class UrlMatcher:
    """Built once per version of the lists; ``find`` is safe to call from many threads."""

    def __init__(self, entries: Iterable[tuple[int, int, str, str]]) -> None:
        """``entries``: (entry id, list id, match, value) as stored."""
        self._urls: dict[str, UrlHit] = {}
        self._hosts: dict[str, UrlHit] = {}
        self._prefixes: dict[str, list[tuple[str, UrlHit]]] = {}
        for entry_id, list_id, match, value in sorted(entries):  # oldest first: it answers for a repeat
            hit = UrlHit(entry_id, list_id)
            if match == URL:
                self._urls.setdefault(_key(value), hit)
            elif match == HOST:
                self._hosts.setdefault(value, hit)
            elif match == PREFIX:
                self._prefixes.setdefault(_host_of(value), []).append((_key(value), hit))
        self.size = len(self._urls) + len(self._hosts) + sum(len(v) for v in self._prefixes.values())

    def find(self, url: str) -> UrlHit | None:
        """The entry that matches ``url``; ``UrlError`` when ``url`` is not a web address."""
        got = normalise(url)
        return self.find_normalised(got.normalised, got.host)

    def find_normalised(self, normalised: str, host: str) -> UrlHit | None:
        key = normalised[normalised.find("://") + 3 :]  # inline: this is the hot path of every URL check
        hit = self._urls.get(key)
        if hit is None:
            hit = self._hosts.get(host)
        if hit is None and self._prefixes:
            for prefix, found in self._prefixes.get(host, ()):
                if key.startswith(prefix):
                    return found
        return hit


def _key(normalised: str) -> str:
    return normalised.split("://", 1)[1]


def _host_of(normalised: str) -> str:
    rest = _key(normalised)
    netloc = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc[1 : netloc.index("]")]
    return netloc.split(":", 1)[0]
