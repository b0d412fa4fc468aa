"""The reading side of a large import alone: the process that reads, checks and makes the staging rows of a
VICS file, and what the import's own process spends receiving them, without a store.

    .venv/bin/python benchmarks/import_reader.py /tmp/s8/files/vics-1000000.json
    .venv/bin/python benchmarks/import_reader.py FILE --runs 3 --postgres

Each run reads ``FILE`` through :func:`netsafe.services.import_feed.feed` as an import of a new set does
(the rows for set id 1, no progress reports) and drops the rows. "reader CPU" is the reading process's
user + system time, "receive CPU" this process's own (starting the child, unpickling the frames, walking
the rows); both are steadier than wall time on a shared machine. Make the file with
``import_vics.py --files DIR``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from netsafe.services.import_feed import Job, feed


def _cpu(who: int) -> float:
    use = resource.getrusage(who)
    return use.ru_utime + use.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path, help="a VICS file (import_vics.py --files DIR writes one)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="rows as for PostgreSQL (default SQLite)")
    args = parser.parse_args()
    job = Job("vics", str(args.file), "uk-caid", None, None, False, set_id=1, sqlite=not args.postgres)
    print(f"{'run':<5}{'rows':>12}{'wall s':>10}{'reader CPU':>12}{'receive CPU':>13}{'load':>7}", flush=True)
    for run in range(1, args.runs + 1):
        start, own, children = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        rows = sum(1 for _ in feed(job, None))
        wall = time.perf_counter() - start
        reader = _cpu(resource.RUSAGE_CHILDREN) - children
        receive = _cpu(resource.RUSAGE_SELF) - own
        load = os.getloadavg()[0]
        print(f"{run:<5}{rows:>12,}{wall:>10.2f}{reader:>12.2f}{receive:>13.2f}{load:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
