"""VICS import: netsafe's streaming reader against json.load of the whole file.

Generates a VICS 2.0 file of N Media records (default 1,000,000; made-up hashes, realistic fields:
MediaID, Category, MD5, SHA1, MediaSize, booleans as strings, Series, AlternativeHashes with PDQ and
SHA256, one MediaFiles entry), then runs each reader in its own process and reports wall time, records/s
and peak resident memory above the baseline (interpreter with netsafe imported, shown as "base MB"):

- ``json.load``: the naive competitor, parse only (no validation), whole document in memory;
- ``json.load+convert``: the same plus netsafe's per-record conversion, i.e. what a non-streaming importer
  would do;
- ``netsafe``: ``netsafe.hashsets.formats.vics.read`` (ijson yajl2_c, validation, duplicate check);
- ``netsafe(no-dup)``: the same with ``check_duplicates=False`` (truly constant memory).

Usage: python benchmarks/vics_import.py [--n 1000000] [--keep] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


def generate(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'{{"@odata.context":"{CONTEXT}","value":[')
        for i in range(n):
            md5 = f"{rng.getrandbits(128):032X}"
            media = {
                "MediaID": i + 1,
                "Category": rng.choice([1, 2, 3, 4, 0]),
                "MD5": md5,
                "SHA1": f"{rng.getrandbits(160):040X}",
                "MediaSize": rng.randrange(1_000, 5_000_000),
                "VictimIdentified": rng.choice(["true", "false"]),
                "OffenderIdentified": "false",
                "IsDistributed": rng.choice([True, False]),
                "IsPrecategorized": "true",
                "Series": f"series-{rng.randrange(5000)}",
                "AlternativeHashes": [
                    {"HashName": "PDQ", "HashValue": f"{rng.getrandbits(256):064x}"},
                    {"HashName": "SHA256", "HashValue": f"{rng.getrandbits(256):064x}"},
                ],
                "MediaFiles": [{"MD5": md5, "FileName": f"img_{i}.jpg", "FilePath": "C:\\cases\\example"}],
            }
            out.write(("," if i else "") + "\n" + json.dumps(media, separators=(",", ":")))
        out.write("\n]}\n")


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(mode: str, path: str) -> dict[str, Any]:
    from netsafe.hashsets.formats import vics, vics_read
    from netsafe.hashsets.model import Entry
    from netsafe.hashsets.profiles import load_profile

    baseline = _rss_kb()
    started = time.perf_counter()
    cpu_started = time.process_time()
    entries = issues = 0
    if mode.startswith("json.load"):
        with open(path, "rb") as fh:
            document = json.load(fh)
        if mode == "json.load+convert":
            profile = load_profile("uk-caid")
            converter = vics_read._Converter(path, profile, profile)
            for record, obj in enumerate(document["value"], 1):
                entry, found = converter.convert(obj, record)
                entries += entry is not None
                issues += len(found)
        else:
            entries = len(document["value"])
    else:
        check = mode == "netsafe"
        for item in vics.read(path, profile="uk-caid", check_duplicates=check):
            if isinstance(item, Entry):
                entries += 1
            else:
                issues += 1
    elapsed = time.perf_counter() - started
    return {
        "mode": mode,
        "seconds": elapsed,
        "cpu_seconds": time.process_time() - cpu_started,
        "entries": entries,
        "issues": issues,
        "peak_mb": (_rss_kb() - baseline) / 1024,
        "baseline_mb": baseline / 1024,
    }


def run(mode: str, path: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)], capture_output=True, text=True, check=True
    )
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None, help="directory for the generated file")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    directory = Path(args.out or tempfile.mkdtemp(prefix="netsafe-vics-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"vics-{args.n}.json"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.n)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f}s")
    size_mb = path.stat().st_size / 1e6
    version = sys.version.split()[0]
    print(f"file: {args.n:,} Media records, {size_mb:.0f} MB; Python {version}, {os.cpu_count()} cores")
    modes = ("json.load", "json.load+convert", "netsafe", "netsafe(no-dup)")
    load_before = os.getloadavg()[0]
    results = {mode: run(mode, path) for mode in modes}
    load_after = os.getloadavg()[0]
    print(f"load average {load_before:.1f} before, {load_after:.1f} after (a busy machine slows wall time)")
    titles = (
        ("wall s", 8),
        ("CPU s", 8),
        ("records/CPU s", 15),
        ("MB/CPU s", 10),
        ("peak MB", 10),
        ("base MB", 9),
    )
    print(f"{'reader':<20}" + "".join(f"{title:>{width}}" for title, width in titles))
    for mode, r in results.items():
        cpu = r["cpu_seconds"]
        print(
            f"{mode:<20}{r['seconds']:>8.1f}{cpu:>8.1f}{r['entries'] / cpu:>15,.0f}{size_mb / cpu:>10.1f}"
            f"{r['peak_mb']:>10.1f}{r['baseline_mb']:>9.0f}"
        )
    ours, naive, full = results["netsafe"], results["json.load"], results["json.load+convert"]
    for name in ("netsafe", "netsafe(no-dup)"):
        r = results[name]
        print(
            f"{name}: CPU time ratio {naive['cpu_seconds'] / r['cpu_seconds']:.2f}x json.load (parse only), "
            f"{full['cpu_seconds'] / r['cpu_seconds']:.2f}x json.load+convert (>1: netsafe faster); "
            f"memory {r['peak_mb'] / max(naive['peak_mb'], 1):.3f}x json.load's"
        )
    assert ours["entries"] == args.n, ours
    if not args.keep and args.out is None:
        path.unlink()
        directory.rmdir()


if __name__ == "__main__":
    main()
