"""Deterrence checks: URLs at 1M entries and searches at 10,000 keywords, against the naive baselines.

URLs: netsafe's ``UrlMatcher`` (exact URL, host and prefix lookups, scheme-blind) against a Python set of
the same URL strings (exact only); both given already-normalised URLs, and the full check with the hotline's
normalisation is timed too. Keywords: the Aho-Corasick automaton over normalised text against one compiled
regex alternation of the terms (``\\b(?:t1|t2|...)\\b``, case-insensitive, on the raw text). Ratio printed.

    python benchmarks/deterrence.py [--urls 1000000] [--keywords 10000] [--queries 20000]
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import string
import time
from collections.abc import Callable

from netsafe.deterrence.keywords import KeywordMatcher, pattern
from netsafe.deterrence.urls import UrlMatcher
from netsafe.hotline.urls import normalise


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _rate(fn: Callable[[str], object], items: list[str]) -> float:
    return len(items) / _timed(lambda: [fn(item) for item in items])


def urls(n: int, queries: int, rng: random.Random) -> None:
    listed = [f"http://{_word(rng, 8)}.example/{_word(rng, 6)}/{i}.jpg" for i in range(n)]
    start = time.perf_counter()
    matcher = UrlMatcher((i, 1, "url", u) for i, u in enumerate(listed))
    built = time.perf_counter() - start
    baseline = set(listed)
    asked = [
        rng.choice(listed) if i % 2 else f"http://{_word(rng, 8)}.example/x/{i}.jpg" for i in range(queries)
    ]
    hosts = [u.split("/")[2] for u in asked]
    pairs = list(zip(asked, hosts, strict=True))
    ours = queries / _timed(lambda: [matcher.find_normalised(u, h) for u, h in pairs])
    theirs = queries / _timed(lambda: [u in baseline for u in asked])
    full = _rate(matcher.find, asked[: queries // 4])
    norm = _rate(normalise, asked[: queries // 4])
    print(f"URLs: {n:,} entries, built in {built:.1f} s")
    print(f"  UrlMatcher (normalised input): {ours:,.0f} checks/s")
    print(f"  Python set (exact string):     {theirs:,.0f} checks/s")
    print(f"  ratio: {ours / theirs:.2f}x")
    print(f"  full check with normalisation: {full:,.0f} checks/s (normalisation alone {norm:,.0f}/s)")


def _timed(fn: Callable[[], object]) -> float:
    # As timeit does: the collector's passes over a million listed entries are not the lookup's cost.
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def keywords(n: int, queries: int, rng: random.Random) -> None:
    terms = sorted({_word(rng, rng.randint(5, 10)) for _ in range(n * 2)})[:n]
    start = time.perf_counter()
    matcher = KeywordMatcher((i, 1, pattern(t)) for i, t in enumerate(terms))
    built = time.perf_counter() - start
    start = time.perf_counter()
    regex = re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\b", re.IGNORECASE)
    compiled = time.perf_counter() - start
    asked = [
        " ".join(_word(rng, rng.randint(3, 9)) for _ in range(rng.randint(2, 6)))
        + (" " + rng.choice(terms) if i % 4 == 0 else "")
        for i in range(queries)
    ]
    ours = _rate(matcher.find, asked)
    theirs = _rate(regex.search, asked)
    agree = sum((matcher.find(q) is not None) == (regex.search(q) is not None) for q in asked[:2000])
    print(f"Keywords: {n:,} terms; automaton built in {built:.2f} s, regex compiled in {compiled:.2f} s")
    print(f"  Aho-Corasick (with normalisation): {ours:,.0f} queries/s")
    print(f"  one regex alternation (raw text):   {theirs:,.0f} queries/s")
    print(f"  ratio: {ours / theirs:.2f}x; answers agree on {agree}/2000 plain queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=1_000_000)
    parser.add_argument("--keywords", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(14)
    keywords(args.keywords, args.queries, rng)
    urls(args.urls, args.queries * 10, rng)


if __name__ == "__main__":
    main()
