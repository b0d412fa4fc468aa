"""The statistics dashboard's server time over a large store: ``--reports`` hotline reports (a third
confirmed, with a category, age band, country, route and removal time) and ``--cases`` cases in 20
operations, inserted in bulk (the benchmark stands in for the intake and the case commands, which have their
own tests); then every section of ``netsafe.stats.service.show`` (the dashboard's queries) and the whole
``GET /stats`` page, median of ``--runs``, wall and this process's CPU time. The bulk insert goes around
the ORM, so the hotline's daily summary is rebuilt after it (``rebuild_seconds``), as the migration does for
a store that had reports. SQLite by default; ``--postgres`` for a throwaway PostgreSQL server, or
``--url postgresql+psycopg://...`` (a disposable database: the benchmark fills it). With PostgreSQL the
CPU time is the client's only; the server's is in its own processes.

    .venv/bin/python benchmarks/stats.py [--reports 1000000] [--cases 100000] [--runs 3] [--postgres] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from netsafe.audit.service import Actor
from netsafe.cases.models import CaseRow, OperationRow
from netsafe.hotline.daily import rebuild
from netsafe.hotline.models import DailyRow, ReportRow
from netsafe.stats import service
from netsafe.stats.disclosure import Rule
from netsafe.store.db import Database, open_database

ACTOR = Actor("bench")
PASSWORD = "benchmark password 1"
BATCH = 20_000


def fill(db: Database, reports: int, cases: int) -> float:
    rng = random.Random(15)
    start = time.perf_counter()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for first in range(0, reports, BATCH):
        rows: list[dict[str, Any]] = []
        for n in range(first, min(reports, first + BATCH)):
            received = base + timedelta(minutes=n % 1_000_000)
            confirmed = n % 3 == 0
            assessed = received + timedelta(hours=2) if n % 10 else None
            removed = rng.uniform(1, 400) if confirmed and assessed else None
            rows.append(
                {
                    "reference": f"HL-{n:010d}", "url": f"https://example.org/{n}",
                    "normalised_url": f"https://example.org/{n}", "host": "example.org",
                    "source": "public" if n % 4 else "partner:p", "status": "closed",
                    "outcome": ("criminal" if confirmed else "not_criminal") if assessed else None,
                    "category": rng.choice("ABC") if confirmed else None,
                    "age_band": rng.choice(["0-2", "3-6", "7-10", "11-13", "14-15"]) if confirmed else None,
                    "country": rng.choice(["US", "NL", "GB", "RU", "DE"]) if confirmed else None,
                    "route": rng.choice(["host", "partner", "police"]) if confirmed else None,
                    "site_type": rng.choice(["image-host", "forum", "cyberlocker"]) if confirmed else None,
                    "received_at": received, "assessed_at": assessed, "notices_sent": 1 if removed else 0,
                    "removed_at": received + timedelta(hours=removed) if removed else None,
                    "removed_after_seconds": removed * 3600 if removed else None,
                }
            )  # fmt: skip
        with db.session() as session:
            session.execute(insert(ReportRow), rows)
    now = datetime.now(UTC)
    with db.session() as session:
        session.execute(insert(OperationRow), [{"name": f"Op {n}", "created": now} for n in range(20)])
    levels = [
        ("very_high", "Very High", 1),
        ("high", "High", 7),
        ("medium", "Medium", 14),
        ("low", "Low", 30),
    ]
    for first in range(0, cases, BATCH):
        crow: list[dict[str, Any]] = []
        for n in range(first, min(cases, first + BATCH)):
            level, label, days = levels[n % 4]
            received = date(2025, 1, 1) + timedelta(days=n % 700)
            acted = received + timedelta(days=rng.randint(0, 40)) if n % 5 else None
            crow.append(
                {
                    "reference": f"NS-{n}", "source": "nca", "received": received, "subject_label": "s",
                    "operation_id": 1 + n % 20, "status": "action taken" if acted else "assessed",
                    "created": now, "created_by": "bench", "level": level, "level_label": label,
                    "level_rank": n % 4, "deadline": received + timedelta(days=days), "first_action": acted,
                }
            )  # fmt: skip
        with db.session() as session:
            session.execute(insert(CaseRow), crow)
    return time.perf_counter() - start


def timed(runs: int, fn: Any) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn``."""
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", default=None)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # A killed run must still stop its PostgreSQL server and remove its files (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        if args.postgres:
            from netsafe.store.testing import PostgresServer

            server = PostgresServer().start()
            url = server.create_database()
        try:
            print(
                json.dumps(run(url, args))
                if args.json
                else "\n".join(f"{k}: {v}" for k, v in run(url, args).items())
            )
        finally:
            if server is not None:
                server.stop()


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = open_database(url)
    filled = fill(db, args.reports, args.cases)
    out: dict[str, Any] = {"backend": db.backend, "reports": args.reports, "cases": args.cases}
    out["fill_seconds"] = round(filled, 1)
    start = time.perf_counter()
    with db.session() as session:
        rebuild(session)
    out["rebuild_seconds"] = round(time.perf_counter() - start, 1)
    with db.session() as session:
        out["summary_cells"] = session.scalar(select(func.count()).select_from(DailyRow))
    for name in service.SECTIONS:
        wall, cpu = timed(args.runs, lambda n=name: service.show(db, ACTOR, n, rule=Rule()))
        out[f"{name}_seconds"], out[f"{name}_cpu_seconds"] = round(wall, 3), round(cpu, 3)
    year = service.Period(date(2025, 1, 1), date(2025, 12, 31))
    every = [service.show(db, ACTOR, n, year, Rule()) for n in service.SECTIONS]
    wall, cpu = timed(args.runs, lambda: [service.show(db, ACTOR, n, rule=Rule()) for n in service.SECTIONS])
    out["dashboard_seconds"], out["dashboard_cpu_seconds"] = round(wall, 3), round(cpu, 3)
    out["rows"] = sum(len(s["rows"]) for s in every)
    wall, cpu = _page_time(db, args.runs)
    out["page_seconds"], out["page_cpu_seconds"] = round(wall, 3), round(cpu, 3)
    db.dispose()
    return out


def _page_time(db: Database, runs: int) -> tuple[float, float]:
    """``GET /stats`` signed in as an analyst (the published view), through the whole application."""
    import re

    from fastapi.testclient import TestClient

    from netsafe.accounts.roles import Role
    from netsafe.services.accounts import add_user
    from netsafe.web.app import create_app
    from netsafe.web.config import Settings

    with db.session() as session:
        add_user(session, ACTOR, "viewer", Role.ANALYST, PASSWORD)
    client = TestClient(create_app(Settings(rate_limit_per_minute=0), db), base_url="http://127.0.0.1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    form = {"username": "viewer", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303

    def page() -> None:
        got = client.get("/stats", follow_redirects=False)
        assert got.status_code == 200 and "<svg" in got.text

    return timed(runs, page)


if __name__ == "__main__":
    main()
