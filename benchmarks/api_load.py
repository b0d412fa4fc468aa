"""Load test of the service: 50 concurrent clients against a 1M-entry PDQ hash set, on 127.0.0.1 only.

Two runs of ``--seconds`` each: ``POST /api/v1/match`` by signals (JSON; half near-duplicates of set entries,
half random hashes) and upload+hash+match (multipart 1-megapixel JPEGs). Prints requests/s, p50/p95/p99
latency and errors per run. The server is ``netsafe serve --workers N`` over a throwaway PostgreSQL server
(the team set-up) or, with ``--backend sqlite``, a SQLite file (the embedded default; use ``--workers 1``);
the clients run in this process (asyncio + httpx) on the same machine, so they take CPU
from the server: figures are a floor.

HMA (Meta's Hasher-Matcher-Actioner, OpenMediaMatch) is not published on PyPI: it installs from its source
repository, which this machine cannot reach (only package registries are), so its ``/m/lookup`` cannot run
side by side here. PyPI's ``threatexchange`` package is the client library and CLI, without that service.

    .venv/bin/python benchmarks/api_load.py [--entries 1000000] [--seconds 60] [--clients 50] [--workers 2]
        [--backend postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from netsafe.accounts.roles import Permission
from netsafe.accounts.service import add_user, create_token
from netsafe.audit.service import Actor
from netsafe.hashsets.service import import_file
from netsafe.samples import synthetic_photo
from netsafe.store.db import open_database
from netsafe.store.testing import PostgresServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hashes(n: int, rng: np.random.Generator) -> list[str]:
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return [bytes(row).hex() for row in raw]


def _near(hex_hash: str, bits: int, rng: random.Random) -> str:
    value = bytearray(bytes.fromhex(hex_hash))
    for bit in rng.sample(range(256), bits):
        value[bit // 8] ^= 1 << (bit % 8)
    return value.hex()


def _jpegs(count: int) -> list[bytes]:
    out = []
    for seed in range(count):
        buf = io.BytesIO()
        synthetic_photo(1000 + seed, 1155, 866).save(buf, "JPEG", quality=88)  # 1.0 MP
        out.append(buf.getvalue())
    return out


async def _run(
    base: str, token: str, seconds: float, clients: int, make_request: object
) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            rng = random.Random(k)
            while time.monotonic() < deadline:
                kwargs = make_request(rng)  # type: ignore[operator]
                start = time.perf_counter()
                try:
                    response = await client.post("/api/v1/match", **kwargs)
                    ok = response.status_code == 200
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        await asyncio.gather(*(worker(k) for k in range(clients)))
    matched = statuses.get(200, 0)
    return latencies, errors, matched


def _report(name: str, latencies: list[float], errors: int, seconds: float) -> str:
    if not latencies:
        return f"{name}: no requests completed"
    qs = statistics.quantiles(latencies, n=100)
    return (
        f"{name}: {len(latencies) / seconds:,.0f} requests/s, p50 {qs[49] * 1000:.1f} ms, "
        f"p95 {qs[94] * 1000:.1f} ms, p99 {qs[98] * 1000:.1f} ms, errors {errors} of {len(latencies)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="the store: a throwaway PostgreSQL server (team set-up) or a SQLite file (embedded default)",
    )
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    work = Path(tempfile.mkdtemp(prefix="netsafe-load-"))
    with contextlib.ExitStack() as stack:
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'store.sqlite'}"
        else:
            url = stack.enter_context(PostgresServer()).create_database()
        db = open_database(url)
        stored = _hashes(args.entries, rng)
        t0 = time.perf_counter()
        # Chunks with ANALYZE between them: an import is one transaction, and PostgreSQL plans its existence
        # checks from statistics taken before the table grew (see benchmarks/README.md, issue 5).
        chunk = 100_000
        for start in range(0, len(stored), chunk):
            listing = work / "bank.txt"
            with open(listing, "w") as out:
                for h in stored[start : start + chunk]:
                    out.write(f"pdq {h}\n")
            import_file(db, listing, "bank", format="tx")
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE entries" if args.backend == "postgresql" else "ANALYZE")
        print(f"imported {len(stored):,} PDQ entries in {time.perf_counter() - t0:.1f} s", flush=True)
        with db.session() as session:
            add_user(session, Actor("bench"), "bench", "analyst", "benchmark-password")
            token, _ = create_token(session, Actor("bench"), "bench", frozenset({Permission.MATCH}), "bench")
        db.dispose()

        port = _free_port()
        env = os.environ | {
            "NETSAFE_DATABASE_URL": url,
            "NETSAFE_RATE_LIMIT_PER_MINUTE": "0",
            "NETSAFE_INDEX_DIR": str(work / "indexes"),
            "NETSAFE_LOG_LEVEL": "warning",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from netsafe.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            t0 = time.perf_counter()
            # Each worker loads the index on its first request; warm them all before measuring.
            for _ in range(4 * args.workers):
                httpx.get(f"{base}/api/v1/ready", headers={"Authorization": f"Bearer {token}"}, timeout=600)
            print(f"workers ready (indexes loaded) in {time.perf_counter() - t0:.1f} s", flush=True)

            pick = random.Random(1)
            queries = [
                _near(pick.choice(stored), pick.randint(0, 31), pick) if i % 2 == 0 else _hashes(1, rng)[0]
                for i in range(10_000)
            ]

            def by_signals(r: random.Random) -> dict[str, object]:
                return {"json": {"signals": {"pdq": r.choice(queries)}}}

            images = _jpegs(16)

            def by_upload(r: random.Random) -> dict[str, object]:
                return {"files": {"file": ("photo.jpg", r.choice(images), "image/jpeg")}}

            print(
                f"{args.clients} clients, {args.seconds:.0f} s each, {args.workers} workers, "
                f"{args.entries:,} PDQ entries, {args.backend}, load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            for name, make in (
                ("match by signals", by_signals),
                ("upload+hash+match (1 MP JPEG)", by_upload),
            ):
                lat, errors, _ = asyncio.run(_run(base, token, args.seconds, args.clients, make))
                print(_report(name, lat, errors, args.seconds), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
