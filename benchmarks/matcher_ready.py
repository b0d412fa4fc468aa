"""How long a matcher over a large hash set takes to be ready (index loaded, first search answered).

    .venv/bin/python benchmarks/matcher_ready.py --n 10000000 --work DIR

Fills a SQLite store in ``DIR`` with one set of N random PDQ hashes (a ThreatExchange text list imported
by ``netsafe.services.hashsets.import_file``, the bulk path; skipped when ``DIR`` already holds it), then,
each in a fresh child process as a restarted worker would be:

1. cold: no saved index: ``Matcher.catch_up()`` reads the set from the store, builds the PDQ and exact
   indexes and saves them next to the store, keyed by the set's version;
2. restart (three times): the saved index is there: ``catch_up()`` checks the store's version and opens the
   saved arrays (memory-mapped).

"ready" is ``catch_up()`` plus one search of a stored hash through ``Matcher.match`` (so numba's kernels
are loaded too), wall and CPU seconds of the child, with its peak RSS. The load average is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from netsafe.services.matcher import Matcher
from netsafe.services.matches import Query
from netsafe.store import open_database
db = open_database(sys.argv[1])
t = time.perf_counter(); c = time.process_time()
m = Matcher(db)
m.catch_up()
found = m.match([Query("q", signals={"pdq": sys.argv[2]})], max_distance=0)
dt, dc = time.perf_counter() - t, time.process_time() - c
assert found[0], "the stored hash was not found"
use = resource.getrusage(resource.RUSAGE_SELF)
print(f"{dt:.2f} {dc:.2f} {use.ru_maxrss / 1024:.0f} {time.perf_counter() - t0:.2f}")
"""


def fill(url: str, path: Path, n: int) -> tuple[float, float, str]:
    """Write a list of n random PDQ hashes and import it; returns (wall s, CPU s, first hash)."""
    first = ""
    with open(path, "w", encoding="ascii") as out:
        left = n
        while left:
            k = min(left, 100_000)
            blob = os.urandom(32 * k).hex()
            lines = [blob[i * 64 : (i + 1) * 64] for i in range(k)]
            first = first or lines[0]
            out.write("".join(f"pdq {h}\n" for h in lines))
            left -= k
    code = """
import sys, time
from netsafe.audit.service import Actor
from netsafe.services.hashsets import import_file
from netsafe.store import open_database
db = open_database(sys.argv[1])
t = time.perf_counter(); c = time.process_time()
r = import_file(db, Actor("bench"), sys.argv[2], "bank", format="tx")
print(r.added, round(time.perf_counter() - t, 2), round(time.process_time() - c, 2))
"""
    done = subprocess.run(
        [sys.executable, "-c", code, url, str(path)], check=True, capture_output=True, text=True
    )
    added, wall, cpu = done.stdout.split()
    assert int(added) == n, done.stdout
    path.unlink()
    return float(wall), float(cpu), first


def ready(url: str, probe: str) -> tuple[float, float, float, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, probe], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed: {done.stderr.strip().splitlines()[-1:]}")
    wall, cpu, peak, total = (float(x) for x in done.stdout.split())
    return wall, cpu, peak, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--restarts", type=int, default=3)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.work / f"ready-{args.n}.db"
    url = f"sqlite:///{store}"
    probe_file = args.work / f"ready-{args.n}.probe"
    if not probe_file.exists():
        print(f"# filling the store, load average {os.getloadavg()[0]:.1f}", flush=True)
        wall, cpu, probe = fill(url, args.work / f"ready-{args.n}.txt", args.n)
        probe_file.write_text(probe)
        print(f"import of {args.n:,} PDQ hashes (tx list): {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    probe = probe_file.read_text().strip()
    index_dir = Path(f"{store}.indexes")
    if index_dir.exists():
        import shutil

        shutil.rmtree(index_dir)
    print(f"{'run':<12}{'ready s':>10}{'CPU s':>10}{'peak MB':>10}{'+imports s':>12}{'load':>7}", flush=True)
    for k in range(1 + args.restarts):
        name = "cold" if k == 0 else f"restart {k}"
        load = os.getloadavg()[0]
        wall, cpu, peak, total = ready(url, probe)
        print(f"{name:<12}{wall:>10.2f}{cpu:>10.2f}{peak:>10.0f}{total:>12.2f}{load:>7.1f}", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
