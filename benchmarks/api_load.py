"""Load test of the service: 50 concurrent clients against a 1M-entry PDQ hash set, on 127.0.0.1 only.

Two runs of ``--seconds`` each: ``POST /api/v1/match`` by signals (JSON; half near-duplicates of set entries,
half random hashes) and upload+hash+match (multipart 1-megapixel JPEGs). Prints requests/s, p50/p95/p99
latency and errors per run. The server is ``netsafe serve --workers N`` over a throwaway PostgreSQL server
(the team set-up) or, with ``--backend sqlite``, a SQLite file (the embedded default: ``--workers 1``; its
workers take turns to write, so ``--workers 2`` uses both cores of one machine);
the clients are wrk (C, closed loop: each of ``--clients`` connections sends its next request as soon as the
last is answered), on the same machine, so they take some CPU from the server.

HMA (Meta's Hasher-Matcher-Actioner, OpenMediaMatch) is not published on PyPI: it installs from its source
repository, which this machine cannot reach (only package registries are), so its ``/m/lookup`` cannot run
side by side here. PyPI's ``threatexchange`` package is the client library and CLI, without that service.

    .venv/bin/python benchmarks/api_load.py [--entries 1000000] [--seconds 60] [--clients 50] [--workers 2]
        [--backend postgresql|sqlite] [--work DIR] [--only signals|upload]

wrk comes from Debian (``benchmarks/setup.sh`` installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor
from netsafe.samples import synthetic_photo
from netsafe.services.accounts import add_user, create_token
from netsafe.services.hashsets import import_file
from netsafe.store.db import open_database
from netsafe.store.testing import PostgresServer

ACTOR = Actor("test")

LUA = Path(__file__).with_name("api_load.lua")


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


def _multipart(data: bytes, boundary: str) -> bytes:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode()


def _write_bodies(directory: Path, bodies: list[bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    listing = directory / "bodies.txt"
    with open(listing, "w") as out:
        for number, body in enumerate(bodies):
            path = directory / f"{number}.body"
            path.write_bytes(body)
            out.write(f"{path}\n")
    return listing


def _wrk(
    base: str,
    token: str,
    listing: Path,
    content_type: str,
    seconds: float,
    clients: int,
    think_ms: float = 0.0,
) -> dict[str, float]:
    """One closed-loop wrk run (one thread, ``clients`` connections); the script's JSON summary."""
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            base,
            "--",
            str(listing),
            content_type,
            token,
            str(think_ms),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("{"))
    summary: dict[str, float] = json.loads(line)
    return summary


def _report(name: str, summary: dict[str, float]) -> str:
    seconds = summary["duration_us"] / 1e6
    requests = int(summary["requests"])
    errors = int(sum(v for k, v in summary.items() if k.startswith("errors_")))
    return (
        f"{name}: {requests / seconds:,.0f} requests/s, p50 {summary['p50_us'] / 1000:.1f} ms, "
        f"p95 {summary['p95_us'] / 1000:.1f} ms, p99 {summary['p99_us'] / 1000:.1f} ms, "
        f"max {summary['max_us'] / 1000:.0f} ms, errors {errors} of {requests}"
    )


def _prepare_store(url: str, stored: list[str], backend: str, work: Path) -> str:
    """Import the hashes as set "bank" and make an analyst's ``match`` token; returns the token."""
    db = open_database(url)
    t0 = time.perf_counter()
    # Chunks with ANALYZE between them: an import is one transaction, and PostgreSQL plans its existence
    # checks from statistics taken before the table grew (see benchmarks/README.md, issue 5).
    chunk = 100_000
    for start in range(0, len(stored), chunk):
        listing = work / "bank.txt"
        with open(listing, "w") as out:
            for h in stored[start : start + chunk]:
                out.write(f"pdq {h}\n")
        import_file(db, ACTOR, listing, "bank", format="tx")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE entries" if backend == "postgresql" else "ANALYZE")
    listing.unlink()
    print(f"imported {len(stored):,} PDQ entries in {time.perf_counter() - t0:.1f} s", flush=True)
    with db.session() as session:
        add_user(session, Actor("bench"), "bench", "analyst", "benchmark-password")
        token, _ = create_token(session, Actor("bench"), "bench", frozenset({Permission.MATCH}), "bench")
    db.dispose()
    return token


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before each measured run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="the store: a throwaway PostgreSQL server (team set-up) or a SQLite file (embedded default)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        help="keep the SQLite store here and reuse it on the next run with the same --entries",
    )
    parser.add_argument("--only", choices=("signals", "upload"), help="run one of the two phases")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause of each client between an answer and its next request (default 0: saturate)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("api_load.py needs wrk (Debian package wrk): run benchmarks/setup.sh")

    rng = np.random.default_rng(7)
    work = args.work or Path(tempfile.mkdtemp(prefix="netsafe-load-"))
    work.mkdir(parents=True, exist_ok=True)
    stored = _hashes(args.entries, rng)
    with contextlib.ExitStack() as stack:
        if args.backend == "sqlite":
            store = work / f"store-{args.entries}.sqlite"
            url = f"sqlite:///{store}"
            token_file = store.with_suffix(".token")
            if args.work is not None and token_file.exists():
                token = token_file.read_text().strip()
                print(f"reusing {store}", flush=True)
            else:
                for stale in (store, token_file):
                    stale.unlink(missing_ok=True)
                token = _prepare_store(url, stored, args.backend, work)
                token_file.write_text(token)
        else:
            url = stack.enter_context(PostgresServer()).create_database()
            token = _prepare_store(url, stored, args.backend, work)

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
            signals = _write_bodies(
                work / "signals", [json.dumps({"signals": {"pdq": q}}).encode() for q in queries]
            )
            boundary = "netsafe-load-boundary-7d3c1e"
            uploads = _write_bodies(work / "uploads", [_multipart(j, boundary) for j in _jpegs(16)])
            phases = [
                ("match by signals", signals, "application/json"),
                ("upload+hash+match (1 MP JPEG)", uploads, f"multipart/form-data; boundary={boundary}"),
            ]
            if args.only:
                phases = [phases[0 if args.only == "signals" else 1]]

            print(
                f"{args.clients} clients (wrk, one thread, think {args.think_ms:g} ms), "
                f"{args.seconds:.0f} s each after "
                f"{args.warmup:.0f} s warm-up, {args.workers} workers, "
                f"{args.entries:,} PDQ entries, {args.backend}, "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            for name, listing, content_type in phases:
                if args.warmup > 0:
                    _wrk(base, token, listing, content_type, args.warmup, args.clients)
                summary = _wrk(base, token, listing, content_type, args.seconds, args.clients, args.think_ms)
                print(_report(name, summary), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
