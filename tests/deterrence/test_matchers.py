"""The keyword normalisation table and the URL rules: variants that must match, near misses that must not."""

from __future__ import annotations

import pytest

from netsafe.deterrence.keywords import INSIDE, WORD, KeywordError, KeywordMatcher, pattern
from netsafe.deterrence.urls import UrlMatcher, parse_entry
from netsafe.hotline.urls import UrlError

# Benign stand-in terms: the rules are the same whatever the list holds.
TERMS = [(1, "pthc", WORD), (2, "lolita", WORD), (3, "forbidden fruit", WORD), (4, "badword", INSIDE)]

MUST_MATCH = [
    ("pthc", 1),
    ("PTHC", 1),
    ("p.t.h.c", 1),
    ("p-t-h-c", 1),
    ("p_t_h_c", 1),
    ("p t h c", 1),
    ("P . T . H . C", 1),
    ("ＰＴＨＣ", 1),  # full-width
    ("рthс", 1),  # Cyrillic р and с
    ("p\u200bthc", 1),  # zero-width space
    ("pthc video", 1),
    ("new pthc!", 1),
    ("lolita", 2),
    ("L0L1TA", 2),
    ("1olita", 2),
    ("|0|!t@", 2),
    ("lølïta", 2),  # accents and look-alikes
    ("lοlita", 2),  # Greek omicron
    ("Forbidden   Fruit", 3),
    ("forbidden-fruit", 3),  # a hyphen inside a word joins it; the entry's space does not
    ("f0rbidden fru1t", 3),
    ("superbadwords", 4),  # marked inside: matches inside a longer word
]
MUST_NOT = [
    "pthcx",  # whole-word entry inside a longer word
    "xpthc",
    "lolitas",
    "forbidden",
    "fruit forbidden",
    "bad word",
    "p t h",
    "pt-hc",  # a sign between longer parts separates words
    "",
    "   ",
]


@pytest.fixture(scope="module")
def keywords() -> KeywordMatcher:
    return KeywordMatcher((eid, 1, pattern(term, match)) for eid, term, match in TERMS)


@pytest.mark.parametrize(("query", "entry"), MUST_MATCH)
def test_variants_match(keywords: KeywordMatcher, query: str, entry: int) -> None:
    hit = keywords.find(query)
    assert hit is not None and hit.entry_id == entry, query


@pytest.mark.parametrize("query", MUST_NOT)
def test_near_misses_do_not(keywords: KeywordMatcher, query: str) -> None:
    assert keywords.find(query) is None, query


def test_the_first_term_in_the_query_answers(keywords: KeywordMatcher) -> None:
    hit = keywords.find("lolita and pthc")
    assert hit is not None and hit.entry_id == 2


def test_a_term_of_only_signs_is_refused() -> None:
    with pytest.raises(KeywordError):
        pattern("... --- ...")


def test_an_empty_list_matches_nothing() -> None:
    assert KeywordMatcher([]).find("pthc") is None


URLS = [
    (10, "files.example.org"),
    (11, "http://example.org/a/b*"),
    (12, "https://example.net/page?id=7"),
    (13, "EXAMPLE.com/Gallery/"),
]


@pytest.fixture(scope="module")
def urls() -> UrlMatcher:
    rows = []
    for eid, text in URLS:
        entry = parse_entry(text)
        rows.append((eid, 1, entry.match, entry.value))
    return UrlMatcher(rows)


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("http://files.example.org/", 10),
        ("https://FILES.example.org/any/path?x=1", 10),
        ("files.example.org/x", 10),
        ("http://example.org/a/b", 11),
        ("http://example.org/a/b/c.jpg", 11),
        ("https://example.org/a/bc", 11),  # a prefix is a string prefix, as written
        ("http://example.net/page?id=7", 12),  # the scheme is not compared
        ("https://example.net/page?id=7#top", 12),  # nor the fragment
        ("http://example.com:80/Gallery/", 13),  # default port dropped
    ],
)
def test_urls_match(urls: UrlMatcher, url: str, entry: int) -> None:
    hit = urls.find(url)
    assert hit is not None and hit.entry_id == entry, url


@pytest.mark.parametrize(
    "url",
    [
        "http://sub.files.example.org/",  # a host entry is that host, not its subdomains
        "http://example.org/a/",
        "http://example.org/",
        "http://example.net/page?id=8",
        "http://example.net/page",
        "http://example.com/gallery/",  # paths are case-sensitive
        "http://other.example/a/b",
    ],
)
def test_near_miss_urls(urls: UrlMatcher, url: str) -> None:
    assert urls.find(url) is None, url


def test_entry_kinds() -> None:
    assert parse_entry("files.example.org").match == "host"
    assert parse_entry("http://files.example.org").match == "url"
    assert parse_entry("http://x.example/p*").match == "prefix"
    for bad in ("ftp://x.example/", "http://*", "not a url", "**"):
        with pytest.raises(UrlError):
            parse_entry(bad)
