"""The review grid page's server time, and thumbnails made from the evidence.

Page: a store with one finished scan of ``--items`` unmatched images in near-duplicate pairs (inserted
directly, as ``review.py`` does), its queue built; then ``GET /scans/{id}/review`` for a signed-in analyst,
in-process (TestClient), with every group on one page (``per`` = items / 2: the 1,000-item list) and with
the default page of 60 groups. Median of ``--repeat``.

Thumbnails: generated photos (640x480 loose, 4000x3000 loose, 640x480 in a tar.gz in a zip) and a 6 s
video, scanned, then ``scan_blob_thumbnail`` timed cold (the per-process picture cache emptied: read the
evidence again, decode, reduce) and warm (the cached picture re-rendered at another blur).

    PYTHONPATH=src python benchmarks/review_page.py

Measured (2026-12-04, the shared 2-core machine, SQLite, median of 7): the 1,000-item list (500 groups on
one page) 414 ms server time, 568 KB of HTML; the default page of 60 groups 76 ms. Thumbnails cold / warm:
640x480 JPEG 32 / 9 ms, 4000x3000 JPEG 150 / 10 ms, a JPEG in a tar.gz in a zip 44 / 14 ms, a 6 s video's
3x3 contact sheet 312 / 18 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import sys
import tarfile
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

PASSWORD = "correct horse battery staple"


def _store_with_pairs(db: Any, items: int, seed: int) -> int:
    from sqlalchemy import insert

    from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow

    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    with db.session() as session:
        scan = ScanRow(
            out_dir="/nonexistent",
            sources=[{"path": "/evidence", "type": "folder"}],
            options={},
            hash_sets=[],
            examiner="bench",
            netsafe_version="bench",
            status="finished",
            started=now,
            finished=now,
            next_seq=items,
            elapsed=1.0,
            runs=1,
        )
        session.add(scan)
        session.flush()
        blobs, last = [], None
        for i in range(items):
            pdq = last.copy() if i % 2 else rng.integers(0, 256, 32, dtype=np.uint8)
            if i % 2:
                pdq[0] ^= 1
            last = pdq
            blobs.append(
                {
                    "scan_id": scan.id,
                    "first_seq": i,
                    "sha256": f"{i:064x}",
                    "size": 1000 + i,
                    "md5": f"{i:032x}",
                    "sha1": f"{i:040x}",
                    "kind": "image",
                    "mime": "image/jpeg",
                    "pdq": bytes(pdq).hex(),
                    "pdq_quality": 90,
                    "vpdq": None,
                    "error": None,
                    "matches": [],
                    "thumbnail": None,
                }
            )
        session.execute(insert(ScanBlobRow), blobs)
        ids = [r.id for r in session.query(ScanBlobRow.id).order_by(ScanBlobRow.id)]
        session.execute(
            insert(ScanEventRow),
            [
                {
                    "scan_id": scan.id,
                    "seq": i,
                    "blob_id": b,
                    "location": [{"kind": "file", "name": f"/e/{i}.jpg"}],
                    "size": 1000 + i,
                    "deleted": False,
                    "times": None,
                    "code": None,
                    "message": None,
                }
                for i, b in enumerate(ids)
            ],
        )
        return int(scan.id)


def page_time(args: argparse.Namespace) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from netsafe.accounts.roles import Role
    from netsafe.audit.service import Actor
    from netsafe.review import service
    from netsafe.review.settings import ReviewSettings
    from netsafe.services.accounts import add_user
    from netsafe.store import open_database
    from netsafe.web.app import create_app
    from netsafe.web.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NETSAFE_INDEX_DIR"] = str(Path(tmp) / "indexes")
        db = open_database(f"sqlite:///{tmp}/bench.db")
        scan_id = _store_with_pairs(db, args.items, args.seed)
        with db.session() as session:
            add_user(session, Actor("bench"), "ana", Role.ANALYST, PASSWORD)
        service.build_queue(db, Actor("bench"), scan_id, ReviewSettings())
        client = TestClient(create_app(Settings(rate_limit_per_minute=0), db), base_url="http://127.0.0.1")
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token.group(1)})
        out: dict[str, Any] = {"items": args.items}
        for label, per in (("all_groups", args.items // 2), ("default_page", 60)):
            times, size = [], 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                got = client.get(f"/scans/{scan_id}/review?per={per}")
                times.append(time.perf_counter() - t)
                assert got.status_code == 200, got.text[:300]
                size = len(got.content)
            cards = got.text.count('<li class="card"')
            out[label] = {
                "groups": cards,
                "median_ms": round(1000 * statistics.median(times), 1),
                "html_kb": round(size / 1024),
            }
        db.dispose()
    return out


def _jpeg(seed: int, size: tuple[int, int]) -> bytes:
    from netsafe.samples import synthetic_photo

    out = io.BytesIO()
    synthetic_photo(seed, *size).save(out, "JPEG", quality=90)
    return out.getvalue()


def thumbnail_time(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import select

    from netsafe.audit.service import Actor
    from netsafe.media.pictures import ThumbOptions
    from netsafe.review import thumbnails
    from netsafe.samples import synthetic_photo, write_video
    from netsafe.store import open_database
    from netsafe.triage import service as triage
    from netsafe.triage.models import ScanBlobRow
    from netsafe.triage.pipeline import ScanConfig

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        os.environ["NETSAFE_INDEX_DIR"] = str(base / "indexes")
        folder = base / "evidence"
        folder.mkdir()
        cases = {
            "jpeg 640x480": _jpeg(1, (640, 480)),
            "jpeg 4000x3000": _jpeg(2, (4000, 3000)),
            "jpeg in tar.gz in zip": _jpeg(3, (640, 480)),
        }
        (folder / "small.jpg").write_bytes(cases["jpeg 640x480"])
        (folder / "camera.jpg").write_bytes(cases["jpeg 4000x3000"])
        inner = io.BytesIO()
        with tarfile.open(fileobj=inner, mode="w:gz") as tf:
            info = tarfile.TarInfo("deep/c.jpg")
            info.size = len(cases["jpeg in tar.gz in zip"])
            tf.addfile(info, io.BytesIO(cases["jpeg in tar.gz in zip"]))
        with zipfile.ZipFile(folder / "bundle.zip", "w") as zf:
            zf.writestr("inner/b.tar.gz", inner.getvalue())
        frames = [np.asarray(synthetic_photo(100 + i // 10, 640, 480)) for i in range(60)]
        write_video(folder / "clip.mp4", frames, fps=10)
        db = open_database(f"sqlite:///{base / 'bench.db'}")
        triage.scan(db, Actor("bench"), ScanConfig(sources=(str(folder),), out_dir=str(base / "out")))
        import hashlib

        with db.session() as session:
            rows = session.execute(select(ScanBlobRow.id, ScanBlobRow.sha256, ScanBlobRow.kind)).all()
        by_sha = {sha: i for i, sha, _ in rows}
        blobs = {name: by_sha[hashlib.sha256(data).hexdigest()] for name, data in cases.items()}
        blobs["video 6 s 640x480 (contact sheet)"] = next(i for i, _, k in rows if k == "video")
        out: dict[str, Any] = {}
        actor = Actor("bench")
        for name, blob in blobs.items():
            cold, warm = [], []
            for r in range(args.repeat):
                thumbnails.PICTURES.clear()
                t = time.perf_counter()
                thumbnails.scan_blob_thumbnail(db, actor, blob, ThumbOptions())
                cold.append(time.perf_counter() - t)
                t = time.perf_counter()
                thumbnails.scan_blob_thumbnail(db, actor, blob, ThumbOptions(blur=30 + r % 2))
                warm.append(time.perf_counter() - t)
            out[name] = {
                "cold_median_ms": round(1000 * statistics.median(cold), 1),
                "warm_median_ms": round(1000 * statistics.median(warm), 1),
            }
        db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    json.dump({"page": page_time(args), "thumbnails": thumbnail_time(args)}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
