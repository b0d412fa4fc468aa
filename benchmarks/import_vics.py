"""Import of a large VICS 2.0 file into the store against a bare ``json.load`` of the same file.

    .venv/bin/python benchmarks/import_vics.py                 # 100k and 1M entries, SQLite
    .venv/bin/python benchmarks/import_vics.py --postgres      # also into a throwaway PostgreSQL server
    .venv/bin/python benchmarks/import_vics.py --sizes 1000000 10000000 --postgres --keep DIR

Per size, in one run: ``json.load`` of the file (parse only, whole document in memory, no validation, no
store: the floor any importer in Python starts from), then the import into each store, each in a fresh
child process so its peak RSS (ru_maxrss) is its own; a flat peak across sizes is what "constant memory"
means. "CPU s" is the child's own CPU time (user + sys) plus that of the process the import reads a
large file in, a steadier figure than wall time on a shared machine; PostgreSQL's server CPU is not in
it, and is printed on the line after (``--no-sqlite`` leaves SQLite out); "peak MB" likewise adds the
two peaks. Ratios are the import's time over json.load's, by wall and by CPU.
``json.load`` needs about 5.7x the file in memory; a size whose document would not fit in two
thirds of the machine's memory is not parsed that way (said in the output). The file is synthetic
(random MD5/SHA-1/PDQ, categories, tags, one MediaFiles item per record), written once per size.
The throwaway PostgreSQL server runs with ``store.testing.BULK_LOAD_SETTINGS`` (1 GB ``shared_buffers``,
8 GB ``max_wal_size``: what docs/scale.md advises for big imports), changed by ``--pg-setting NAME=VALUE``.
``--keep DIR`` leaves the SQLite stores (``DIR/bench-N.db``) for ``matcher_ready.py``; ``--files DIR``
keeps the generated files (``DIR/vics-N.json``, the same bytes for the same N) and uses one found there
(a 10M file is 4 GB and takes minutes to write).
"""

from __future__ import annotations

import argparse
import json
import os
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
# The import's reading process (a large file is read in a child of its own), counted with it.
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = use.ru_utime + use.ru_stime + kids.ru_utime + kids.ru_stime
# Peak: the import's own plus its reader's (an upper bound of what the two held at once).
print(f"{r.added} {dt:.2f} {(use.ru_maxrss + kids.ru_maxrss) / 1024:.0f} {cpu:.2f}")
"""


PARSE = """
import json, sys, time, resource
t = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    doc = json.load(f)
dt = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_SELF)
print(f"{len(doc['value'])} {dt:.2f} {use.ru_maxrss / 1024:.0f} {use.ru_utime + use.ru_stime:.2f}")
"""


def run(code: str, *args: str) -> tuple[int, float, float, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child failed: {done.stderr.strip().splitlines()[-1:]}")
    added, seconds, peak, cpu = done.stdout.split()
    return int(added), float(seconds), float(peak), float(cpu)


def server_cpu(datadir: Path) -> float:
    """CPU seconds of a PostgreSQL server so far: the postmaster's own and its children's, live ones from
    /proc and ended ones as the postmaster's reaped-children times (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    master = int((datadir / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == master:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def fits_in_memory(path: Path) -> bool:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return path.stat().st_size * 5.7 < total * 2 / 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", action="store_true", help="also import into a throwaway PostgreSQL")
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL server setting over testing.BULK_LOAD_SETTINGS (repeatable)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (with --postgres)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite stores in this directory")
    parser.add_argument("--work", type=Path, help="where the VICS files go (default: a temporary dir)")
    parser.add_argument("--files", type=Path, help="keep the VICS files here, and use any already there")
    args = parser.parse_args()
    # A killed run must still stop its PostgreSQL server and remove its files (the finally blocks below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        stores = args.keep or Path(tmp)
        stores.mkdir(parents=True, exist_ok=True)
        server = None
        if args.postgres:
            from netsafe.store.testing import BULK_LOAD_SETTINGS, PostgresServer

            settings = dict(BULK_LOAD_SETTINGS)
            settings.update(item.split("=", 1) for item in args.pg_setting)
            print(f"# PostgreSQL settings: {settings}", flush=True)
            server = PostgresServer(settings).start()
        try:
            head = (
                "reader",
                "entries",
                "file MB",
                "wall s",
                "entries/s",
                "CPU s",
                "peak MB",
                "x wall",
                "x CPU",
            )
            print(f"{head[0]:<11}" + "".join(f"{h:>12}" for h in head[1:]), flush=True)
            for n in args.sizes:
                path = (args.files or Path(tmp)) / f"vics-{n}.json"
                if args.files is None or not path.is_file():
                    make_file(path, n)
                mb = path.stat().st_size / 1e6
                print(f"# {n:,} entries, load average {os.getloadavg()[0]:.1f}", flush=True)
                floor: tuple[float, float] | None = None
                if fits_in_memory(path):
                    count, seconds, peak, cpu = run(PARSE, str(path))
                    floor = (seconds, cpu)
                    row("json.load", count, mb, seconds, cpu, peak, None)
                else:
                    print(
                        f"{'json.load':<11} not run: the document would need ~{mb * 5.7 / 1e3:.0f} GB",
                        flush=True,
                    )
                targets = [] if args.no_sqlite else [("sqlite", f"sqlite:///{stores}/bench-{n}.db")]
                if server is not None:
                    targets.append(("postgresql", server.create_database()))
                for backend, url in targets:
                    before = server_cpu(server.datadir) if server is not None else 0.0
                    added, seconds, peak, cpu = run(CHILD, url, str(path))
                    row(backend, added, mb, seconds, cpu, peak, floor)
                    if backend == "postgresql" and server is not None:
                        print(
                            f"{'':<11}# the server's CPU: {server_cpu(server.datadir) - before:.1f} s",
                            flush=True,
                        )
                print(f"# load average {os.getloadavg()[0]:.1f}", flush=True)
                if args.files is None:
                    path.unlink()
        finally:
            if server is not None:
                server.stop()


def row(
    name: str, n: int, mb: float, seconds: float, cpu: float, peak: float, floor: tuple[float, float] | None
) -> None:
    ratio = ("", "") if floor is None else (f"{seconds / floor[0]:.2f}", f"{cpu / floor[1]:.2f}")
    cells = (
        f"{n:,}",
        f"{mb:.0f}",
        f"{seconds:.1f}",
        f"{n / seconds:,.0f}",
        f"{cpu:.1f}",
        f"{peak:.0f}",
        *ratio,
    )
    print(f"{name:<11}" + "".join(f"{c:>12}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
