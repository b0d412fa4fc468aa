"""Review: grouping a scan's unknown PDQ hashes into near-duplicate groups, and the server time of a
1,000-item group list.

Grouping: N PDQ hashes (default 100,000; 80% random, 20% in near-duplicate families, the shape of
``match_index.py``), grouped at distance 31 by the greedy leader rule of ``netsafe.review.grouping``
(every member within 31 bits of its leader). Methods, each in its own child process pinned to one CPU:

* ``netsafe``: ``group_pdq`` (the PDQ index, multi-index hashing, one query per leader), from hex as the
  queue reads hashes from the store;
* ``faiss-flat``: faiss ``IndexBinaryFlat.range_search`` (exact brute force in C++, one OpenMP thread) for
  each leader's neighbours, then the same greedy rule;
* ``numpy``: brute force per leader (XOR + popcount over all rows), timed on the first ``--numpy-leaders``
  leaders and extrapolated to all of them.

netsafe's and faiss's groupings must be identical (both exact, same rule): the script checks it.

List: a store with one finished scan of ``--items`` unmatched images in pairs (inserted directly), then
``list_groups(limit=1000)`` (the service) and ``GET /api/v1/scans/{id}/review?limit=1000`` (the API route,
in-process) timed, median of ``--repeat``.

    benchmarks/.venv-bench/bin/python benchmarks/review.py            # with faiss
    python benchmarks/review.py --methods netsafe,numpy              # without
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from match_index import make_data, pin_one_cpu

THRESHOLD = 31


def _hex(words: np.ndarray) -> list[str]:
    # The store keeps PDQ as 64 hex digits; any fixed bit order keeps every Hamming distance.
    raw = words.astype(">u8").tobytes()
    return [raw[i * 32 : (i + 1) * 32].hex() for i in range(len(words))]


def _greedy(n: int, neighbours: Any) -> tuple[np.ndarray, int]:
    """The review rule: in order, an unassigned row leads a group; its unassigned neighbours join it."""
    owner = np.full(n, -1, dtype=np.int64)
    leaders = 0
    for i in range(n):
        if owner[i] >= 0:
            continue
        owner[i] = i
        leaders += 1
        ids = neighbours(i)
        fresh = ids[owner[ids] < 0]
        owner[fresh] = i
    return owner, leaders


def run_child(method: str, args: argparse.Namespace) -> dict[str, Any]:
    pin_one_cpu(args.cpu)
    hashes, _ = make_data(args.n, 1, args.seed)
    texts = _hex(hashes)
    out: dict[str, Any] = {"method": method, "n": args.n}
    if method == "netsafe":
        from netsafe.review.grouping import group_pdq

        group_pdq(texts[:2000], THRESHOLD)  # compile and warm the kernels, not timed
        t, c = time.perf_counter(), time.process_time()
        grouping = group_pdq(texts, THRESHOLD)
        out["wall_s"], out["cpu_s"] = time.perf_counter() - t, time.process_time() - c
        owner = _owners(grouping.group, grouping.leader)
        out["groups"] = grouping.groups
    elif method == "faiss-flat":
        import faiss

        faiss.omp_set_num_threads(1)
        t, c = time.perf_counter(), time.process_time()
        from netsafe.matching.pdq_index import as_words

        codes = np.ascontiguousarray(as_words(texts)).view(np.uint8).reshape(args.n, 32)
        index = faiss.IndexBinaryFlat(256)
        index.add(codes)

        def near(i: int) -> np.ndarray:
            _, _, found = index.range_search(codes[i : i + 1], THRESHOLD + 1)  # distances < radius
            return np.sort(found.astype(np.int64))

        owner, leaders = _greedy(args.n, near)
        out["wall_s"], out["cpu_s"] = time.perf_counter() - t, time.process_time() - c
        out["groups"] = leaders
    else:  # numpy
        from netsafe.matching.pdq_index import as_words

        t, c = time.perf_counter(), time.process_time()
        table = as_words(texts)
        timed = 0

        def near(i: int) -> np.ndarray:
            nonlocal timed
            timed += 1
            d = np.bitwise_count(table ^ table[i]).sum(axis=1, dtype=np.int64)
            return np.flatnonzero(d <= THRESHOLD)

        owner = np.full(args.n, -1, dtype=np.int64)
        leaders = 0
        for i in range(args.n):
            if owner[i] >= 0:
                continue
            owner[i] = i
            leaders += 1
            ids = near(i)
            owner[ids[owner[ids] < 0]] = i
            if timed >= args.numpy_leaders:
                break
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        # Extrapolated to every leader, the count netsafe reports (given by the parent).
        out["timed_leaders"] = timed
        out["wall_per_leader_s"], out["cpu_per_leader_s"] = wall / timed, cpu / timed
        out["extrapolated"] = True
        return out
    out["owner_sha256"] = hashlib.sha256(owner.astype(np.int64).tobytes()).hexdigest()
    return out


def _owners(group: list[int], leader: list[bool]) -> np.ndarray:
    first: dict[int, int] = {}
    for i, (g, lead) in enumerate(zip(group, leader, strict=True)):
        if lead:
            first[g] = i
    return np.array([first[g] for g in group], dtype=np.int64)


def grouping(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for method in args.methods.split(","):
        cmd = [sys.executable, __file__, "--child", method, *_shared(args)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{method}: failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    leaders = next((r["groups"] for r in results if r["method"] == "netsafe"), None)
    for r in results:
        if r.get("extrapolated") and leaders is not None:
            r["wall_s"] = r["wall_per_leader_s"] * leaders
            r["cpu_s"] = r["cpu_per_leader_s"] * leaders
            r["groups"] = leaders
    return results


def _shared(args: argparse.Namespace) -> list[str]:
    return [
        "--n",
        str(args.n),
        "--seed",
        str(args.seed),
        "--cpu",
        str(args.cpu),
        "--numpy-leaders",
        str(args.numpy_leaders),
    ]


# -- the list ------------------------------------------------------------------------------------------------


def listing(args: argparse.Namespace) -> dict[str, Any]:
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient
    from sqlalchemy import insert

    from netsafe.accounts.roles import ROLE_PERMISSIONS, Role
    from netsafe.audit.service import Actor
    from netsafe.review import service
    from netsafe.review.settings import ReviewSettings
    from netsafe.services.accounts import add_user, create_token
    from netsafe.store import open_database
    from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow
    from netsafe.web.app import create_app
    from netsafe.web.config import Settings

    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NETSAFE_INDEX_DIR"] = str(Path(tmp) / "indexes")
        db = open_database(f"sqlite:///{tmp}/bench.db")
        now = datetime.now(UTC)
        with db.session() as session:
            scan = ScanRow(
                out_dir=tmp,
                sources=[{"path": "/evidence", "type": "folder"}],
                options={},
                hash_sets=[],
                examiner="bench",
                netsafe_version="bench",
                status="finished",
                started=now,
                finished=now,
                next_seq=args.items,
                elapsed=1.0,
                runs=1,
            )
            session.add(scan)
            session.flush()
            blobs = []
            pdqs: list[np.ndarray] = []
            for i in range(args.items):
                # Pairs: every odd row is the even row before it with one bit flipped.
                base = pdqs[-1].copy() if i % 2 else rng.integers(0, 256, 32, dtype=np.uint8)
                if i % 2:
                    base[0] ^= 1
                pdqs.append(base)
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
                        "pdq": bytes(base).hex(),
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
            add_user(session, Actor("bench"), "ana", Role.ANALYST, "correct horse battery staple")
            token, _ = create_token(session, Actor("bench"), "t", ROLE_PERMISSIONS[Role.ANALYST], "ana")
            scan_id = scan.id
        settings = ReviewSettings()
        t = time.perf_counter()
        service.build_queue(db, Actor("bench"), scan_id, settings)
        build = time.perf_counter() - t
        svc, svc_cpu, api = [], [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            page = service.list_groups(db, Actor("bench"), scan_id, settings, limit=1000)
            svc.append(time.perf_counter() - t)
            svc_cpu.append(time.process_time() - c)
        app = create_app(Settings(rate_limit_per_minute=0), db)
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(args.repeat):
            t = time.perf_counter()
            got = client.get(f"/api/v1/scans/{scan_id}/review?limit=1000", headers=headers)
            api.append(time.perf_counter() - t)
            assert got.status_code == 200, got.text
        items = sum(len(g["items"]) for g in got.json()["groups"])
        db.dispose()
    return {
        "items": args.items,
        "groups_listed": len(page.groups),
        "items_listed": items,
        "queue_build_s": build,
        "service_median_ms": 1000 * statistics.median(svc),
        "service_cpu_median_ms": 1000 * statistics.median(svc_cpu),
        "api_median_ms": 1000 * statistics.median(api),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--methods", default="netsafe,faiss-flat,numpy")
    parser.add_argument("--numpy-leaders", type=int, default=2000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--skip-grouping", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args)))
        return
    results = [] if args.skip_grouping else grouping(args)
    if results:
        print(f"grouping {args.n:,} PDQ hashes at distance {THRESHOLD}, one core (cpu {args.cpu}):")
    mine = next((r for r in results if r["method"] == "netsafe"), None)
    for r in results:
        ratio = (
            f"  netsafe is {r['cpu_s'] / mine['cpu_s']:.1f}x faster (CPU)" if mine and r is not mine else ""
        )
        note = f" (extrapolated from {r['timed_leaders']:,} leaders)" if r.get("extrapolated") else ""
        print(
            f"  {r['method']:<11} wall {r['wall_s']:7.2f} s  cpu {r['cpu_s']:7.2f} s  groups {r['groups']:,}"
            f"{note}{ratio}"
        )
    shas = {r["owner_sha256"] for r in results if "owner_sha256" in r}
    if len(shas) > 1:
        print("  MISMATCH: netsafe and faiss grouped differently", file=sys.stderr)
        sys.exit(1)
    if len(shas) == 1 and len([r for r in results if "owner_sha256" in r]) > 1:
        print("  netsafe and faiss-flat give identical groups")
    if not args.skip_list:
        listed = listing(args)
        print(
            f"list of {listed['items_listed']:,} items in {listed['groups_listed']:,} groups: queue built in "
            f"{listed['queue_build_s']:.2f} s; service {listed['service_median_ms']:.0f} ms "
            f"({listed['service_cpu_median_ms']:.0f} ms CPU), API "
            f"{listed['api_median_ms']:.0f} ms (median of {args.repeat})"
        )


if __name__ == "__main__":
    main()
