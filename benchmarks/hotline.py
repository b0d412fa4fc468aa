"""The hotline's throughput and its queue page's time, on 127.0.0.1 only, with benign generated pictures.

1. Capture: a local web server serves ``--reports`` gallery pages of ``--items`` JPEGs each (one of them in
   a hash set of ``--set-size`` entries); each report is captured as ``netsafe hotline capture`` does it
   (fetch the page and its pictures, hash each with the hashing engine, match against the hash sets, seal
   the bytes in the vault, store items with the state change and its audit event). Reports/s and items/s.
2. The assessment queue page (``GET /hotline``, signed in) and its query alone, with ``--open`` reports
   waiting (2 items each), median and p95 of ``--requests`` requests.

    .venv/bin/python benchmarks/hotline.py [--reports 40] [--items 5] [--open 10000] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.hotline import capturing, intake, views
from netsafe.hotline.intake import NewReport
from netsafe.hotline.models import ItemRow, ReportRow
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.storage import open_vault
from netsafe.samples import synthetic_photo
from netsafe.services import hashsets as hs
from netsafe.services.accounts import add_user
from netsafe.services.matcher import Matcher
from netsafe.store.db import Database, open_database
from netsafe.web.app import create_app
from netsafe.web.config import Settings

ACTOR = Actor("bench")
PASSWORD = "benchmark password 1"


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    synthetic_photo(seed, 640, 480).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _site(reports: int, items: int) -> tuple[Any, str, bytes]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pictures = {f"/p{n}.jpg": _jpeg(1000 + n) for n in range(reports * items)}
    known = pictures["/p0.jpg"]
    pages = {}
    for r in range(reports):
        names = [f"p{r * items + i}.jpg" for i in range(items)]
        imgs = "".join(f'<img src="/{n}">' for n in names)
        pages[f"/gallery/{r}"] = f"<html><body>{imgs}</body></html>".encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = pages.get(self.path) or pictures.get(self.path) or b""
            kind = "text/html" if self.path in pages else "image/jpeg"
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", known


def bench_capture(db: Database, work: Path, reports: int, items: int, set_size: int) -> dict[str, Any]:
    server, base, known = _site(reports, items)
    try:
        hs.create_set(db, ACTOR, "bench")
        rng = random.Random(7)
        entries = [hs.NewEntry({"sha256": hashlib.sha256(known).hexdigest()}, "A")]
        entries += [
            hs.NewEntry({"sha256": rng.randbytes(32).hex()}, "C") for _ in range(max(0, set_size - 1))
        ]
        for start in range(0, len(entries), hs.MAX_ADD):
            hs.add_entries(db, ACTOR, "bench", entries[start : start + hs.MAX_ADD])
        settings = HotlineSettings(
            fetch_allow_networks=["127.0.0.0/8"], capture_dir=work / "captures", key_file=work / "vault.key"
        )
        refs = [
            r.reference
            for r in intake.submit(
                db, ACTOR, [NewReport(f"{base}/gallery/{n}") for n in range(reports)], "bench"
            )
        ]
        matcher, vault = Matcher(db), open_vault(settings, db)
        matcher.match([])  # load the index before the clock starts, as a running service has
        start = time.perf_counter()
        got = 0
        known_found = 0
        for ref in refs:
            out = capturing.capture(db, ACTOR, ref, settings=settings, matcher=matcher, vault=vault)
            got += len(out["items"])
            known_found += sum(1 for i in out["items"] if i["known_category"])
        seconds = time.perf_counter() - start
    finally:
        server.shutdown()
    return {
        "reports": reports,
        "items": got,
        "known_recognised": known_found,
        "hash_set_entries": set_size,
        "seconds": round(seconds, 3),
        "reports_per_second": round(reports / seconds, 2),
        "items_per_second": round(got / seconds, 1),
    }


def _fill_queue(db: Database, count: int) -> None:
    when = datetime.now(UTC) - timedelta(days=1)
    with db.session() as session:
        for start in range(0, count, 1000):
            rows = [
                ReportRow(
                    reference=f"HL-BENCH-{n:07d}",
                    url=f"http://host{n % 500}.example/p/{n}",
                    normalised_url=f"http://host{n % 500}.example/p/{n}",
                    host=f"host{n % 500}.example",
                    source="bench",
                    status="captured",
                    received_at=when + timedelta(seconds=n),
                    notices_sent=0,
                )
                for n in range(start, min(count, start + 1000))
            ]
            session.add_all(rows)
            session.flush()
            session.add_all(
                ItemRow(
                    report_id=r.id,
                    url=f"{r.url}/{i}.jpg",
                    vault_id=None,
                    size=1000,
                    kind="image",
                    mime="image/jpeg",
                    truncated=False,
                    sha256=hashlib.sha256(f"{r.id}/{i}".encode()).hexdigest(),
                    matches=[],
                    known_category="B" if i == 0 and r.id % 3 == 0 else None,
                    captured_at=when,
                )
                for r in rows
                for i in range(2)
            )


def bench_queue(db: Database, count: int, requests: int) -> dict[str, Any]:
    _fill_queue(db, count)
    with db.session() as session:
        add_user(session, ACTOR, "analyst", Role.ANALYST, PASSWORD)
    app = create_app(Settings(rate_limit_per_minute=0, hotline=HotlineSettings(monitor_in_service=False)), db)
    client = TestClient(app, base_url="http://127.0.0.1")
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token.group(1)})
    page_ms, query_ms = [], []
    for _ in range(requests):
        t = time.perf_counter()
        got = client.get("/hotline")
        page_ms.append((time.perf_counter() - t) * 1000)
        assert got.status_code == 200 and "waiting, oldest first" in got.text
        t = time.perf_counter()
        views.queue(db, 20, 0)
        query_ms.append((time.perf_counter() - t) * 1000)
    last = client.get(f"/hotline?page={count // 20}")
    assert last.status_code == 200
    return {
        "open_reports": count,
        "page_ms_median": round(statistics.median(page_ms), 1),
        "page_ms_p95": round(sorted(page_ms)[int(0.95 * (len(page_ms) - 1))], 1),
        "query_ms_median": round(statistics.median(query_ms), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--set-size", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", help="a store URL (default: a new SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = open_database(args.database or f"sqlite:///{work / 'bench.db'}")
        try:
            capture = bench_capture(db, work, args.reports, args.items, args.set_size)
            queue = bench_queue(db, args.open, args.requests)
        finally:
            db.dispose()
    result = {"backend": db.backend, "capture": capture, "queue": queue}
    if args.json:
        print(json.dumps(result))
        return
    c, q = capture, queue
    print(
        f"capture ({result['backend']}): {c['reports']} reports, {c['items']} items in {c['seconds']} s: "
        f"{c['reports_per_second']} reports/s, {c['items_per_second']} items/s "
        f"(known recognised {c['known_recognised']}, hash set {c['hash_set_entries']:,} entries)"
    )
    print(
        f"queue page at {q['open_reports']:,} open reports: median {q['page_ms_median']} ms, "
        f"p95 {q['page_ms_p95']} ms (query alone {q['query_ms_median']} ms)"
    )


if __name__ == "__main__":
    main()
