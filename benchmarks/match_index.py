"""PDQ range search at threshold 31: numpy brute force, faiss (Flat, MultiHash) and netsafe side by side.

Data: N PDQ hashes, 80% uniformly random and 20% in near-duplicate families (a root plus members 0-16 bits
away, 1-50 members a family), the shape real hash lists have. Queries: half near-duplicates of stored hashes
(0-31 bits flipped), half random. Every method runs in its own child process pinned to one CPU (faiss with one
OpenMP thread), so build time, memory (resident-set growth while building) and speed are measured alike.
Recall is measured against numpy brute force on the first ``--brute-queries`` queries. Queries per second
are given by wall-clock time and by the process's CPU time: on a shared machine the second is what one
uncontended core would do (the wall-clock figure includes time other processes held the CPU).

Setup (faiss is a benchmark dependency only, never a netsafe one):

    python3 -m venv benchmarks/.venv-bench
    benchmarks/.venv-bench/bin/pip install -e . faiss-cpu psutil
    benchmarks/.venv-bench/bin/python benchmarks/match_index.py            # N = 1M, quick
    benchmarks/.venv-bench/bin/python benchmarks/match_index.py --n 10M    # the issue's headline size
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

THRESHOLD = 31
METHODS = ("numpy", "faiss-flat", "faiss-multihash", "netsafe")
_SHARED = ("n", "queries", "brute_queries", "slow_queries", "nflip", "cpu", "seed")
Words = npt.NDArray[np.uint64]


def parse_count(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def make_data(n: int, queries: int, seed: int) -> tuple[Words, Words]:
    rng = np.random.default_rng(seed)
    clustered = n // 5
    hashes = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    # Families: roots are the first rows of each run; members are the root with 0-16 bits flipped.
    sizes = rng.integers(1, 51, size=clustered)
    sizes = sizes[np.cumsum(sizes) <= clustered]
    family = np.repeat(np.arange(len(sizes)), sizes)
    start = n - len(family)
    roots = hashes[start + np.concatenate([[0], np.cumsum(sizes)[:-1]])]
    members = roots[family].copy()
    flip_random_bits(rng, members, rng.integers(0, 17, size=len(members)))
    hashes[start:] = members
    q = np.empty((queries, 4), dtype=np.uint64)
    near = queries // 2
    q[:near] = hashes[rng.integers(0, n, size=near)]
    flip_random_bits(rng, q[:near], rng.integers(0, THRESHOLD + 1, size=near))
    q[near:] = rng.integers(0, 2**64, size=(queries - near, 4), dtype=np.uint64)
    return hashes, q[rng.permutation(queries)]


def flip_random_bits(rng: np.random.Generator, rows: Words, counts: npt.NDArray[np.int64]) -> None:
    """Flip ``counts[i]`` distinct random bits of ``rows[i]`` (random keys, smallest k win; in blocks)."""
    for lo in range(0, len(rows), 65_536):
        block, wanted = rows[lo : lo + 65_536], counts[lo : lo + 65_536]
        ranks = np.argsort(rng.random((len(block), 256)), axis=1)
        for k in range(int(wanted.max(initial=0))):
            chosen = np.flatnonzero(wanted > k)
            bit = ranks[chosen, k]
            block[chosen, bit // 64] ^= np.uint64(1) << (bit % 64).astype(np.uint64)


def rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def pin_one_cpu(cpu: int) -> None:
    os.sched_setaffinity(0, {cpu})


# -- one method per child process ----------------------------------------------------------------------------


def run_method(method: str, args: argparse.Namespace) -> dict[str, Any]:
    pin_one_cpu(args.cpu)
    hashes, queries = make_data(args.n, args.queries, args.seed)
    ids = np.arange(args.n, dtype=np.int64)
    # Libraries are loaded (and netsafe's compiled kernels warmed) before the baseline, so the memory
    # figure is the index's own; the runtime's fixed cost is reported separately.
    base = rss()
    if method.startswith("faiss"):
        import faiss
    elif method == "netsafe":
        from netsafe.matching import PDQIndex

        # Both search kernels: a 1,000-row segment alone would be scanned, not probed.
        for mode in ("mih", "scan"):
            warm = PDQIndex(delta_rows=64, mode=mode)
            warm.add(ids[:1000], hashes[:1000])
            warm.search(queries[0], THRESHOLD)
        del warm
    gc.collect()
    before = rss()
    out: dict[str, Any] = {"method": method, "runtime_mb": (before - base) / 1e6}
    truth_q = queries[: args.brute_queries]
    if method == "numpy":
        t = time.perf_counter()
        table = hashes.copy()
        out["build_s"] = time.perf_counter() - t
        out["memory_mb"] = (rss() - before) / 1e6

        def one(q: Words) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
            d = np.bitwise_count(table ^ q).sum(axis=1, dtype=np.int64)
            hit = np.flatnonzero(d <= THRESHOLD)
            return ids[hit], d[hit]

        timed = truth_q
        t, c = time.perf_counter(), time.process_time()
        results = [one(q) for q in timed]
        out["single_qps"] = len(timed) / (time.perf_counter() - t)
        out["single_cpu_qps"] = len(timed) / (time.process_time() - c)
        out["single_queries"] = len(timed)
        out["batch_qps"] = None
    elif method.startswith("faiss"):
        import faiss

        faiss.omp_set_num_threads(1)
        codes = np.ascontiguousarray(hashes).view(np.uint8).reshape(args.n, 32)
        qcodes = np.ascontiguousarray(queries).view(np.uint8).reshape(len(queries), 32)
        t = time.perf_counter()
        if method == "faiss-flat":
            index = faiss.IndexBinaryFlat(256)
        else:
            index = faiss.IndexBinaryMultiHash(256, 16, 16)
            index.nflip = args.nflip
        index.add(codes)
        out["build_s"] = time.perf_counter() - t
        del codes
        gc.collect()
        out["memory_mb"] = (rss() - before) / 1e6

        def search(block: npt.NDArray[np.uint8]) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
            # faiss's binary range search keeps distances < radius, so radius = threshold + 1.
            lims, dist, found = index.range_search(block, THRESHOLD + 1)
            return [
                (found[lims[i] : lims[i + 1]].astype(np.int64), dist[lims[i] : lims[i + 1]].astype(np.int64))
                for i in range(len(block))
            ]

        count = min(len(queries), args.slow_queries)
        t, c = time.perf_counter(), time.process_time()
        results = [search(qcodes[i : i + 1])[0] for i in range(count)]
        out["single_qps"] = count / (time.perf_counter() - t)
        out["single_cpu_qps"] = count / (time.process_time() - c)
        out["single_queries"] = count
        t = time.perf_counter()
        search(qcodes[:count])
        out["batch_qps"] = count / (time.perf_counter() - t)
        results = results[: len(truth_q)]
    else:
        t = time.perf_counter()
        index = PDQIndex()
        index.add(ids, hashes)
        index.compact()
        out["build_s"] = time.perf_counter() - t
        del hashes
        gc.collect()
        # The larger of resident-set growth and the arrays' own size (freed input can hide growth).
        out["arrays_mb"] = index.nbytes() / 1e6
        out["memory_mb"] = max((rss() - before) / 1e6, out["arrays_mb"])
        t, c = time.perf_counter(), time.process_time()
        results = [index.search(q, THRESHOLD) for q in queries]
        out["single_qps"] = len(queries) / (time.perf_counter() - t)
        out["single_cpu_qps"] = len(queries) / (time.process_time() - c)
        out["single_queries"] = len(queries)
        t = time.perf_counter()
        index.search_many(queries, THRESHOLD)
        out["batch_qps"] = len(queries) / (time.perf_counter() - t)
        results = results[: len(truth_q)]
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            index.save(tmp)
            out["save_s"] = time.perf_counter() - t
            t = time.perf_counter()
            loaded = PDQIndex.load(tmp)
            loaded.search(queries[0])
            out["load_s"] = time.perf_counter() - t
            # Opened from disk the arrays are memory-mapped: the first pass also pays page faults.
            for key in ("loaded_first_qps", "loaded_qps"):
                c = time.process_time()
                for q in queries:
                    loaded.search(q, THRESHOLD)
                out[key] = len(queries) / (time.process_time() - c)
            del loaded
    out["results"] = [[r[0].tolist(), r[1].tolist()] for r in results[: len(truth_q)]]
    return out


# -- driver --------------------------------------------------------------------------------------------------


def recall(results: list[Any], truth: list[Any]) -> tuple[float, int]:
    """Share of brute-force (id, distance) pairs found, and how many queries differ at all."""
    found = total = differing = 0
    for (ids, dists), (t_ids, t_dists) in zip(results, truth, strict=True):
        want = set(zip(t_ids, t_dists, strict=True))
        got = set(zip(ids, dists, strict=True))
        found += len(want & got)
        total += len(want)
        differing += got != want
    return (found / total if total else 1.0), differing


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=parse_count, default=1_000_000, help="stored hashes (1M, 10M, ...)")
    parser.add_argument("--queries", type=parse_count, default=10_000)
    parser.add_argument("--brute-queries", type=int, default=200, help="queries numpy brute force answers")
    parser.add_argument("--slow-queries", type=int, default=1000, help="queries timed for the faiss indexes")
    parser.add_argument("--nflip", type=int, default=1, help="faiss MultiHash bit flips per table")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU every method is pinned to")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(json.dumps(run_method(args.child, args)))
        return

    load = os.getloadavg()[0]
    print(f"N={args.n:,} hashes, {args.queries:,} queries (half near-duplicates), threshold {THRESHOLD}, "
          f"one CPU (#{args.cpu}); load average {load:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    runs: dict[str, dict[str, Any]] = {}
    for method in args.methods.split(","):
        argv = [f"--{name.replace('_', '-')}={getattr(args, name)}" for name in _SHARED]
        proc = subprocess.run(
            [sys.executable, __file__, *argv, "--child", method], capture_output=True, text=True, check=False
        )
        if proc.returncode:
            print(f"{method}: failed\n{proc.stderr.strip()[-2000:]}")
            continue
        runs[method] = json.loads(proc.stdout)
        print(f"  {method}: done", flush=True)
    truth = runs["numpy"]["results"] if "numpy" in runs else None
    header = (f"{'method':<18}{'build s':>9}{'memory MB':>11}{'single q/s':>12}{'(CPU-time)':>12}"
              f"{'batch q/s':>11}{'recall':>9}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for method, r in runs.items():
        rec = ""
        if truth is not None:
            share, differing = recall(r["results"], truth)
            r["recall"], r["differing_queries"] = share, differing
            rec = f"{share:.4f}" + ("" if differing == 0 else f" ({differing} differ)")
        batch = "-" if r["batch_qps"] is None else f"{r['batch_qps']:,.0f}"
        note = f"  (timed on {r['single_queries']} queries)" if r["single_queries"] < args.queries else ""
        print(f"{method:<18}{r['build_s']:>9.1f}{r['memory_mb']:>11.0f}{r['single_qps']:>12,.0f}"
              f"{r['single_cpu_qps']:>12,.0f}{batch:>11}{rec:>9}{note}")  # fmt: skip
    if "netsafe" in runs:
        ns = runs["netsafe"]
        print(f"netsafe arrays: {ns['arrays_mb']:.0f} MB (+{ns['runtime_mb']:.0f} MB numba runtime, once per "
              f"process); save {ns['save_s']:.1f} s, load + first query {ns['load_s']:.2f} s")  # fmt: skip
        print(f"netsafe opened from disk (memory-mapped): {ns['loaded_first_qps']:,.0f} q/s (CPU time) on "
              f"the first pass (with page faults), {ns['loaded_qps']:,.0f} on the second")  # fmt: skip
        for other in ("faiss-multihash", "faiss-flat", "numpy"):
            if other in runs:
                o = runs[other]
                speed = ns["single_qps"] / o["single_qps"]
                cpu = ns["single_cpu_qps"] / o["single_cpu_qps"]
                memory = ns["memory_mb"] / o["memory_mb"] if o["memory_mb"] > 0 else float("nan")
                print(f"netsafe vs {other}: {speed:,.1f}x single-query speed ({cpu:,.1f}x by CPU time), "
                      f"{memory:.2f}x memory")  # fmt: skip
    if args.json:
        for r in runs.values():
            r.pop("results", None)
        args.json.write_text(json.dumps({"n": args.n, "queries": args.queries, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
