"""Import of a large VICS 2.0 file into the store: entries/s and peak memory, at two sizes.

    .venv/bin/python benchmarks/import_vics.py                 # 100k and 1M entries, SQLite
    .venv/bin/python benchmarks/import_vics.py --postgres      # also into a throwaway PostgreSQL server
    .venv/bin/python benchmarks/import_vics.py --sizes 100000

Each import runs in a fresh child process so its peak RSS (ru_maxrss) is its own; a flat peak across sizes
is what "constant memory" means. "client CPU s" is the importing process's own CPU time (user + sys), a
steadier figure than wall time on a shared machine; PostgreSQL's server CPU is not in it. The file is
synthetic (random MD5/SHA-1/PDQ, categories, tags, one MediaFiles item per record), written once per size.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


def make_file(path: Path, n: int) -> None:
    rnd = random.Random(n)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"@odata.context":"' + CONTEXT + '","value":[\n')
        for i in range(1, n + 1):
            record = {
                "MediaID": i,
                "Category": rnd.choice((1, 2, 3, 0)),
                "MD5": f"{rnd.getrandbits(128):032X}",
                "SHA1": f"{rnd.getrandbits(160):040X}",
                "AlternativeHashes": [{"HashName": "PDQ", "HashValue": f"{rnd.getrandbits(256):064x}"}],
                "IsDistributed": "true" if i % 3 else "false",
                "Series": f"series-{i % 97}",
                "Tags": "benign;synthetic",
                "MediaSize": 1000 + i,
                "MediaFiles": [{"FileName": f"file{i}.jpg", "FilePath": "/synthetic/"}],
            }
            out.write(("," if i > 1 else "") + json.dumps(record, separators=(",", ":")) + "\n")
        out.write("]}\n")


CHILD = """
import sys, time, resource
from netsafe.audit.service import Actor
from netsafe.services.hashsets import import_file
from netsafe.store import open_database

ACTOR = Actor("test")
db = open_database(sys.argv[1])
t = time.perf_counter()
r = import_file(db, ACTOR, sys.argv[2], "bench", format="vics")
dt = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
print(f"{r.added} {dt:.2f} {use.ru_maxrss / 1024:.0f} {use.ru_utime + use.ru_stime:.2f}")
"""


def run(url: str, path: Path) -> tuple[int, float, float, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(path)], capture_output=True, text=True, check=True
    )
    added, seconds, peak, cpu = done.stdout.split()
    return int(added), float(seconds), float(peak), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", action="store_true", help="also import into a throwaway PostgreSQL")
    args = parser.parse_args()
    # A killed run must still stop its PostgreSQL server and remove its files (the finally blocks below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        if args.postgres:
            from netsafe.store.testing import PostgresServer

            server = PostgresServer().start()
        try:
            head = ("backend", "entries", "file MB", "wall s", "entries/s", "client CPU s", "peak RSS MB")
            print(f"{head[0]:<11}" + "".join(f"{h:>13}" for h in head[1:]), flush=True)
            for n in args.sizes:
                path = Path(tmp) / f"vics-{n}.json"
                make_file(path, n)
                mb = path.stat().st_size / 1e6
                targets = [("sqlite", f"sqlite:///{tmp}/bench-{n}.db")]
                if server is not None:
                    targets.append(("postgresql", server.create_database()))
                for backend, url in targets:
                    added, seconds, peak, cpu = run(url, path)
                    rate = added / seconds
                    cells = (
                        f"{added:,}",
                        f"{mb:.0f}",
                        f"{seconds:.1f}",
                        f"{rate:,.0f}",
                        f"{cpu:.1f}",
                        f"{peak:.0f}",
                    )
                    print(f"{backend:<11}" + "".join(f"{c:>13}" for c in cells), flush=True)
                path.unlink()
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
