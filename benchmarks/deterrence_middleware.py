"""What ``netsafe.deterrence.middleware`` adds to each request of a platform's own ASGI app, in-process: a
bare Starlette app against the same app wrapped, for a page with no search, a search that matches nothing
and a search that matches a keyword (answered with the warning page), at 10,000 keywords in a SQLite store.

    python benchmarks/deterrence_middleware.py [--requests 5000] [--keywords 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import string
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from netsafe.audit.service import Actor
from netsafe.deterrence import lists
from netsafe.deterrence.middleware import DeterrenceMiddleware
from netsafe.store.db import open_database


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


async def _results(_: Request) -> PlainTextResponse:
    return PlainTextResponse("results")


async def _call(app: ASGIApp, path: str, query: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"platform.example"), (b"accept-language", b"en")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _time(app: ASGIApp, path: str, queries: list[str], n: int) -> tuple[float, float]:
    """Wall and CPU µs a request."""
    for q in queries[:200]:
        await _call(app, path, q)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        await _call(app, path, queries[i % len(queries)])
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


async def _main(args: argparse.Namespace) -> None:
    rng = random.Random(14)
    db = open_database(f"sqlite:///{Path(tempfile.mkdtemp(prefix='netsafe-mw-')) / 'store.sqlite'}")
    terms = sorted({_word(rng, rng.randint(5, 10)) for _ in range(args.keywords * 2)})[: args.keywords]
    lists.import_list(db, Actor("bench"), "terms", "keyword", "\n".join(terms), "txt")
    bare = Starlette(routes=[Route("/search", _results), Route("/page", _results)])
    wrapped = DeterrenceMiddleware(bare, db=db, paths=["/search"])
    misses = ["q=" + quote(" ".join(_word(rng, rng.randint(3, 9)) for _ in range(3))) for _ in range(1000)]
    hits = [
        "q=" + quote(" ".join(_word(rng, 5) for _ in range(2)) + " " + rng.choice(terms)) for _ in range(1000)
    ]
    print(f"{args.requests:,} requests each, in-process, load average {os.getloadavg()[0]:.1f}")
    for name, path, queries in (
        ("a page with no search", "/page", ["x=1"]),
        ("a search matching nothing", "/search", misses),
        ("a search matching a keyword (warning page)", "/search", hits),
    ):
        base_wall, base_cpu = await _time(bare, path, queries, args.requests)
        wall, cpu = await _time(wrapped, path, queries, args.requests)
        print(
            f"{name}: bare app {base_wall:.0f} µs ({base_cpu:.0f} µs CPU), with the middleware {wall:.0f} µs "
            f"({cpu:.0f} µs CPU): +{cpu - base_cpu:.0f} µs CPU a request"
        )
    wrapped.checker.flush()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--keywords", type=int, default=10_000)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
