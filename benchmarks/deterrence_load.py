"""Load test of ``POST /api/v1/deterrence/check``: 50 concurrent clients (wrk, closed loop) on 127.0.0.1,
against 10,000 keywords and ``--urls`` URL entries in a SQLite store, one phase of searches and one of
URLs (half listed each). Prints requests/s, p50/p95/p99/max, the server's CPU time (all its processes)
and the load average per phase; the issue's target is p99 under 2 ms.

Closed loop (``--think-ms 0``) measures throughput: with 50 clients always waiting, Little's law puts the
p99 at 50/throughput or more. Paced runs (``--think-ms 100``: each client pauses a random time, exponential
with that mean, after each answer) offer about 50/(think + latency) requests/s in all and measure latency
at that rate. Several values run in turn: ``--think-ms 0,100,20``.

    python benchmarks/deterrence_load.py [--urls 100000] [--seconds 20] [--clients 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from api_load import LUA, _free_port, _write_bodies
from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor
from netsafe.deterrence import lists
from netsafe.services.accounts import add_user, create_token
from netsafe.store.db import open_database

ACTOR = Actor("bench")


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--keywords", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--think-ms", default="0", help="mean pause of each client between checks, ms (comma-separated: each)"
    )
    args = parser.parse_args()
    rng = random.Random(14)
    work = Path(tempfile.mkdtemp(prefix="netsafe-deterrence-load-"))
    url = f"sqlite:///{work / 'store.sqlite'}"
    db = open_database(url)
    terms = sorted({_word(rng, rng.randint(5, 10)) for _ in range(args.keywords * 2)})[: args.keywords]
    listed = [f"http://{_word(rng, 8)}.example/{_word(rng, 6)}/{i}.jpg" for i in range(args.urls)]
    t0 = time.perf_counter()
    lists.import_list(db, ACTOR, "terms", "keyword", "\n".join(terms), "txt")
    lists.import_list(db, ACTOR, "urls", "url", "\n".join(listed), "txt")
    print(f"imported {len(terms):,} keywords and {len(listed):,} URLs in {time.perf_counter() - t0:.1f} s")
    with db.session() as session:
        add_user(session, ACTOR, "platform", "curator", "benchmark-password")
        token, _ = create_token(session, ACTOR, "bench", frozenset({Permission.DETERRENCE}), "platform")
    db.dispose()
    searches = [
        " ".join(_word(rng, rng.randint(3, 9)) for _ in range(3)) + (" " + rng.choice(terms) if i % 2 else "")
        for i in range(5000)
    ]
    asked = [
        rng.choice(listed) if i % 2 else f"http://{_word(rng, 8)}.example/x/{i}.jpg" for i in range(5000)
    ]
    phases = [
        ("check a search", _write_bodies(work / "q", [json.dumps({"query": q}).encode() for q in searches])),
        ("check a URL", _write_bodies(work / "u", [json.dumps({"url": u}).encode() for u in asked])),
    ]
    port = _free_port()
    env = os.environ | {
        "NETSAFE_DATABASE_URL": url,
        "NETSAFE_RATE_LIMIT_PER_MINUTE": "0",
        "NETSAFE_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from netsafe.cli import main; main()", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(args.workers)],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        _wait_for_lists(base, token)
        idle = _cpu_seconds(server.pid)
        time.sleep(5)
        print(
            f"server CPU while idle: {(_cpu_seconds(server.pid) - idle) / 5 * 100:.1f}% of a core", flush=True
        )
        print(
            f"{args.clients} clients (wrk, one thread), {args.seconds:.0f} s each after {args.warmup:.0f} s "
            f"warm-up, {args.workers} workers, SQLite, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        for think in (float(x) for x in args.think_ms.split(",")):
            for name, listing in phases:
                _wrk_path(base, token, listing, args.warmup, args.clients, think)
                load, cpu = os.getloadavg()[0], _cpu_seconds(server.pid)
                summary = _wrk_path(base, token, listing, args.seconds, args.clients, think)
                cpu = _cpu_seconds(server.pid) - cpu
                print(_line(f"{name}, think {think:g} ms", summary, cpu, load), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for_lists(base: str, token: str) -> None:
    """Until every worker has built its matchers: a worker builds them at its first check (several seconds
    of CPU for 100,000 URLs on a loaded machine), which a short warm-up does not always cover and which
    would otherwise land in the first phase's figures. Each request on a new connection, so that each
    worker gets some; done when 40 in a row answer within 250 ms (a build takes seconds)."""
    t0 = time.perf_counter()
    fast = 0
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=300) as client:
        while fast < 40 and time.perf_counter() - t0 < 300:
            started = time.perf_counter()
            client.post(
                f"{base}/api/v1/deterrence/check",
                json={"query": "warm up"},
                headers={"Authorization": f"Bearer {token}"},
            ).raise_for_status()
            fast = fast + 1 if time.perf_counter() - started < 0.25 else 0
    print(f"matchers built in every worker after {time.perf_counter() - t0:.1f} s", flush=True)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of the server and its workers so far."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _line(name: str, summary: dict[str, float], cpu: float, load: float) -> str:
    seconds = summary["duration_us"] / 1e6
    requests = int(summary["requests"])
    errors = int(sum(v for k, v in summary.items() if k.startswith("errors_")))
    ms = {k: summary[f"{k}_us"] / 1000 for k in ("p50", "p95", "p99", "max")}
    return (
        f"{name}: {requests / seconds:,.0f} requests/s, p50 {ms['p50']:.2f} ms, p95 {ms['p95']:.2f} ms, "
        f"p99 {ms['p99']:.2f} ms, max {ms['max']:.1f} ms, errors {errors} of {requests}; "
        f"server CPU {cpu:.1f} s ({cpu / max(requests, 1) * 1e6:.0f} us a request), load average {load:.1f}"
    )


def _wrk_path(
    base: str, token: str, listing: Path, seconds: float, clients: int, think_ms: float = 0.0
) -> dict[str, float]:
    """One closed-loop wrk run against the check endpoint (api_load.lua's optional PATH argument)."""
    result = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(LUA),
         base, "--", str(listing), "application/json", token, str(think_ms), "/api/v1/deterrence/check"],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("{"))
    summary: dict[str, float] = json.loads(line)
    return summary


if __name__ == "__main__":
    main()
