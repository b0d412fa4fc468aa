"""/match while a big import runs (issue 18 item 4): 50 clients match by signals while ``netsafe hashset
import`` loads a generated list of ``--entries`` (default 1,000,000) into a new set, on 127.0.0.1 only.

A SQLite import is one transaction holding the store's write lock from its first row to its commit; every
match must still be audited before it is answered. Prints, for a run with no import (the baseline) and a
run during the import: requests/s, p50/p95/p99/max latency and errors; then how long the import took,
whether the loaded run lay wholly inside it, and whether the audit log holds every answered match once
(``netsafe audit verify`` after the server has stopped).

    .venv/bin/python benchmarks/import_while_matching.py [--backend sqlite|postgresql] [--entries 1000000]
        [--bank 100000] [--seconds 30] [--baseline 10] [--clients 50] [--workers 2] [--work DIR]

The server is ``netsafe serve`` as in ``api_load.py`` (same wrk script and bodies: half near-duplicates of
set entries, half random hashes). The import list is ThreatExchange-style text (``pdq <hex>`` a line):
the cheapest format to read, so the import's transaction is as write-heavy as a list can make it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

from api_load import _free_port, _hashes, _near, _prepare_store, _report, _write_bodies, _wrk
from netsafe.audit.models import AuditEventRow
from netsafe.store.db import open_database
from netsafe.store.testing import PostgresServer

CLI = [sys.executable, "-c", "from netsafe.cli import main; main()"]
LUA = Path(__file__).with_name("api_load.lua")
HOLD = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE audit_head SET seq = seq")
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
"""


def _match_events(url: str) -> int:
    db = open_database(url)
    try:
        with db.session() as session:
            return int(
                session.execute(
                    select(func.count()).select_from(AuditEventRow).where(AuditEventRow.action == "match")
                ).scalar_one()
            )
    finally:
        db.dispose()


def _write_list(path: Path, n: int, rng: np.random.Generator) -> None:
    with open(path, "w") as out:
        for start in range(0, n, 100_000):
            out.writelines(f"pdq {h}\n" for h in _hashes(min(100_000, n - start), rng))


class _LockWaits:
    """PostgreSQL: samples of what the server's sessions wait for (``pg_stat_activity``), to tell a lock
    that queues the audit behind the import from plain competition for the CPU."""

    def __init__(self, url: str) -> None:
        self.db = open_database(url, migrate=False)
        self.samples = 0
        self.seen: Counter[str] = Counter()

    def sample(self) -> None:
        with self.db.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT left(a.query, 24), left(b.query, 24) FROM pg_stat_activity a "
                "CROSS JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS blocker(pid) "
                "JOIN pg_stat_activity b ON b.pid = blocker.pid "
                "WHERE a.state = 'active' AND a.wait_event_type = 'Lock'"
            ).all()
        self.samples += 1
        for waiting, holding in rows:
            self.seen[f"[{' '.join(str(waiting).split())}] behind [{' '.join(str(holding).split())}]"] += 1

    def report(self) -> str:
        self.db.dispose()
        if not self.seen:
            return f"lock waits on PostgreSQL: none in {self.samples} samples"
        top = ", ".join(f"{k} x{n}" for k, n in self.seen.most_common(5))
        return f"lock waits on PostgreSQL in {self.samples} samples: {top}"


def _wrk_until(
    base: str,
    token: str,
    bodies: Path,
    clients: int,
    cap: float,
    writer: subprocess.Popen[str],
    waits: _LockWaits | None = None,
) -> dict[str, float]:
    """wrk (as ``api_load._wrk`` runs it) until ``writer`` ends or ``cap`` seconds (0: no cap) pass: wrk
    stops on SIGINT and still reports."""
    args = ["wrk", "-t1", f"-c{clients}", f"-d{round(cap) if cap > 0 else 3600}s", "--timeout", "30s"]
    args += ["-s", str(LUA), base, "--", str(bodies), "application/json", token, "0"]
    load = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while load.poll() is None and writer.poll() is None:
        time.sleep(0.05 if waits is None else 0.25)
        if waits is not None:
            waits.sample()
    if load.poll() is None:
        load.send_signal(signal.SIGINT)
    out, err = load.communicate(timeout=60)
    line = next((x for x in out.splitlines() if x.startswith("{")), None)
    if line is None:
        sys.exit(f"wrk failed: {err.strip()[-500:]}")
    summary: dict[str, float] = json.loads(line)
    return summary


def _journal_bytes(work: Path) -> int:
    """Bytes in the SQLite store's audit journals: a worker's own journal is emptied only once replayed."""
    total = 0
    for path in (work / "store.sqlite.audit-journal").glob("*.jsonl"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def _series(base: str, token: str, bodies: Path, clients: int, seconds: float, work: Path, t0: float) -> int:
    """One-second wrk runs back to back (a new connection each second: cheap on loopback), each printed
    with the journals' size at its end; returns the requests answered."""
    answered = 0
    for _ in range(max(1, round(seconds))):
        summary = _wrk(base, token, bodies, "application/json", 1, clients)
        answered += _answered(summary)
        print(
            f"  t={time.perf_counter() - t0:6.1f} s: {_report('1 s', summary)}; "
            f"journals {_journal_bytes(work) / 1e6:.1f} MB",
            flush=True,
        )
    return answered


def _answered(summary: dict[str, float]) -> int:
    return int(summary["requests"]) - int(sum(v for k, v in summary.items() if k.startswith("errors_")))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the imported list")
    parser.add_argument("--bank", type=int, default=100_000, help="entries of the set matched against")
    parser.add_argument(
        "--seconds", type=float, default=0.0, help="cap on the run during the import (0: until it ends)"
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=0.0,
        help="SQLite: instead of an import, a bare write transaction of this many seconds (no new set to "
        "load afterwards: what is left is the audit journal's cost)",
    )
    parser.add_argument("--baseline", type=float, default=10.0, help="length of the run before it (0: none)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--after", type=float, default=10.0, help="length of the run from the import's end (0: none)"
    )
    parser.add_argument("--lead", type=float, default=2.0, help="seconds between starting the import and wrk")
    parser.add_argument(
        "--bank-only",
        action="store_true",
        help='match against the set "bank" only, not every set (the imported one among them)',
    )
    parser.add_argument(
        "--series",
        type=float,
        default=0.0,
        help="after the --after run, this many seconds more as one-second wrk runs, each printed with the "
        "bytes still in the audit journals (SQLite): a time series of the catch-up",
    )
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("import_while_matching.py needs wrk (Debian package wrk): run benchmarks/setup.sh")

    rng = np.random.default_rng(11)
    work = args.work or Path(tempfile.mkdtemp(prefix="netsafe-import-load-"))
    work.mkdir(parents=True, exist_ok=True)
    stored = _hashes(args.bank, rng)
    incoming = work / f"incoming-{args.entries}.txt"
    if not incoming.exists() and args.hold <= 0:
        _write_list(incoming, args.entries, rng)
    with contextlib.ExitStack() as stack:
        if args.backend == "sqlite":
            store = work / "store.sqlite"
            for stale in work.glob("store.sqlite*"):
                if stale.is_dir():
                    shutil.rmtree(stale)
                else:
                    stale.unlink()
            url = f"sqlite:///{store}"
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
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(CLI + serve, env=env)
        base = f"http://127.0.0.1:{port}"
        importer: subprocess.Popen[str] | None = None
        in_chain = 0
        try:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                        break
                time.sleep(0.2)
            for _ in range(4 * args.workers):
                httpx.get(f"{base}/api/v1/ready", headers={"Authorization": f"Bearer {token}"}, timeout=600)
            pick = random.Random(1)
            sets = {"hashsets": ["bank"]} if args.bank_only else {}
            queries = [
                _near(pick.choice(stored), pick.randint(0, 31), pick) if i % 2 == 0 else _hashes(1, rng)[0]
                for i in range(10_000)
            ]
            bodies = _write_bodies(
                work / "signals", [json.dumps({"signals": {"pdq": q}} | sets).encode() for q in queries]
            )
            probe = httpx.post(
                f"{base}/api/v1/match",
                content=json.dumps({"signals": {"pdq": queries[0]}} | sets).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=600,
            )
            if probe.status_code != 200:  # a run whose every request fails measures nothing: say why
                sys.exit(f"the server refused a match: {probe.status_code} {probe.text[:300]}")
            _wrk(base, token, bodies, "application/json", 3, args.clients)  # warm-up
            print(
                f"{args.clients} clients (wrk), {args.workers} workers, {args.backend}, "
                f"set of {args.bank:,} PDQ, "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if args.baseline > 0:
                summary = _wrk(base, token, bodies, "application/json", args.baseline, args.clients)
                print(_report("no import", summary), flush=True)
            events_before = _match_events(url)
            started = time.perf_counter()
            if args.hold > 0:
                what = f"a bare write transaction of {args.hold:g} s"
                writer = [sys.executable, "-c", HOLD, str(work / "store.sqlite"), str(args.hold)]
            else:
                what = f"the import of {args.entries:,}"
                writer = [*CLI, "hashset", "import", str(incoming), "--name", "incoming", "--format", "tx"]
            importer = subprocess.Popen(
                writer, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            time.sleep(args.lead)
            wrk_started = time.perf_counter() - started
            waits = _LockWaits(url) if args.backend == "postgresql" else None
            summary = _wrk_until(base, token, bodies, args.clients, args.seconds, importer, waits)
            wrk_ended = time.perf_counter() - started
            load = os.getloadavg()[0]
            output, _ = importer.communicate(timeout=3600)
            took = time.perf_counter() - started
            print(_report(f"during {what}", summary), flush=True)
            print(
                f"{what}: exit {importer.returncode} in {took:.1f} s; loaded from {wrk_started:.1f} to "
                f"{wrk_ended:.1f} s; load average {load:.1f}",
                flush=True,
            )
            if waits is not None:
                print(waits.report(), flush=True)
            if importer.returncode != 0:
                print(output.strip()[-2000:], flush=True)
            answered = _answered(summary)
            if args.after > 0:
                # The import's end: its set appears (each worker loads its index) and the audit events
                # that waited in the journals behind its lock move into the chain.
                after = _wrk(base, token, bodies, "application/json", args.after, args.clients)
                print(_report(f"the {args.after:g} s after its end", after), flush=True)
                answered += _answered(after)
            if args.series > 0:
                answered += _series(base, token, bodies, args.clients, args.series, work, started)
            in_chain = _match_events(url) - events_before
        finally:
            if importer is not None and importer.poll() is None:
                importer.kill()
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        verified = subprocess.run(
            [*CLI, "audit", "verify"], env=env, capture_output=True, text=True, check=False
        )
        added = _match_events(url) - events_before
        # Answered (so journaled or committed) but not yet in the chain when the load ended: the server's
        # shutdown moved them there.
        print(f"audit events not yet in the chain at the end of the load: {added - in_chain:,}", flush=True)
        print(
            f"audit: {verified.stdout.strip() or verified.stderr.strip()}; match events since the import "
            f"began {added:,} for {answered:,} requests answered (wrk leaves up to {args.clients} a run "
            "in flight, answered and audited but not counted)",
            flush=True,
        )


if __name__ == "__main__":
    main()
