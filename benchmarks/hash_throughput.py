"""Hashing throughput (issue 2): python-threatexchange's PdqSignal against netsafe, side by side.

In one run, on one core: (a) python-threatexchange ``PdqSignal.hash_from_file``, (b) plain Pillow + pdqhash
on the full decode, (c) netsafe exact, (d) netsafe fast; then (e) netsafe fast on all cores through
``netsafe.hashing.runner.hash_many``. Prints images/s, the ratio netsafe fast / threatexchange, how far fast
hashes are from exact ones over the corpus, and every mode's distance to Meta's reference hashes.

    python benchmarks/hash_throughput.py --quick     # ~12 images, under a minute
    python benchmarks/hash_throughput.py             # 60 images, a few minutes

The competitors live in benchmarks/.venv-bench (made by benchmarks/setup.sh); run from any other Python the
script creates it if needed and re-runs itself there. Results are printed as Markdown for the README.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH_VENV = HERE / ".venv-bench"
DEFAULT_REFERENCE = ROOT / "tests" / "data" / "reference"


def _ensure_bench_env() -> None:
    """Re-run this script inside benchmarks/.venv-bench, creating or refreshing it first when needed."""
    try:
        import threatexchange  # noqa: F401

        import netsafe.hashing.engine  # noqa: F401  (pulls in all of netsafe's dependencies)
    except ImportError as err:
        python = BENCH_VENV / "bin" / "python"
        in_bench = Path(sys.prefix).resolve() == BENCH_VENV.resolve()
        if in_bench and os.environ.get("NETSAFE_BENCH_SETUP_DONE"):
            sys.exit(f"benchmarks/.venv-bench is incomplete ({err}); see benchmarks/setup.sh")
        if in_bench or not python.exists():
            # New venv, or netsafe gained a dependency since it was made: (re)install, once.
            print("setting up benchmarks/.venv-bench (netsafe + python-threatexchange) ...", file=sys.stderr)
            subprocess.run(["bash", str(HERE / "setup.sh")], check=True)
            os.environ["NETSAFE_BENCH_SETUP_DONE"] = "1"
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


_ensure_bench_env()

import numpy as np  # noqa: E402
import pdqhash  # noqa: E402
from PIL import Image, features  # noqa: E402
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file  # noqa: E402
from threatexchange.signal_type.pdq.signal import PdqSignal  # noqa: E402

sys.path.insert(0, str(HERE))
from corpus import JPEG_QUALITY, make_corpus  # noqa: E402
from netsafe.hashing.engine import hash_file  # noqa: E402
from netsafe.hashing.options import HashOptions  # noqa: E402
from netsafe.hashing.runner import default_workers, hash_many  # noqa: E402
from netsafe.hashing.walk import Found  # noqa: E402
from netsafe.signals.codecs import bits_to_hex, hamming_hex  # noqa: E402
from netsafe.signals.pdq import pdq_from_source  # noqa: E402

PDQ_ONLY = frozenset({"pdq"})
FAST = HashOptions(signals=PDQ_ONLY, pdq_mode="fast")
EXACT = HashOptions(signals=PDQ_ONLY, pdq_mode="exact")
MULTI_MIN_FILES = 240  # (e) hashes the corpus as many times as it takes to reach this many files


@dataclass
class Method:
    key: str
    label: str
    hash_one: Callable[[Path], str]
    wall: float = float("inf")  # best pass, seconds
    cpu: float = float("inf")
    # CPU seconds per image, lowest over the passes: steadier than wall time on a shared machine.
    per_image: list[float] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)


def _threatexchange(path: Path) -> str:
    # The public API a ThreatExchange/HMA user calls; "" for quality < 50, as PdqSignal defines.
    return str(PdqSignal.hash_from_file(path))


def _pillow_pdqhash(path: Path) -> str:
    with Image.open(path) as im:
        vector, _quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    return bits_to_hex(vector)


def _netsafe(options: HashOptions) -> Callable[[Path], str]:
    def run(path: Path) -> str:
        record = hash_file(str(path), options)
        if record.error or record.pdq is None:
            raise RuntimeError(f"{path.name}: {record.error}")
        return record.pdq

    return run


def by_key(methods: list[Method]) -> dict[str, Method]:
    return {m.key: m for m in methods}


def _time_pass(method: Method, paths: list[Path]) -> None:
    times: list[float] = []
    hashes: list[str] = []
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for path in paths:
        t0 = time.process_time()
        hashes.append(method.hash_one(path))
        times.append(time.process_time() - t0)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    method.wall = min(method.wall, wall)
    method.cpu = min(method.cpu, cpu)
    if method.per_image:
        times = [min(a, b) for a, b in zip(method.per_image, times, strict=True)]
    method.per_image = times
    method.hashes = hashes


def _all_cores(paths: list[Path], workers: int, repeat: int, rounds: int) -> tuple[float, list[str]]:
    """Best wall time of hash_many over the corpus ``rounds`` times, pool start-up included, as the CLI
    pays it; the rounds keep that start-up (a second or so) from being most of a quick run."""
    items = [Found(str(p), p.stat().st_size) for p in paths] * rounds
    best, hashes = float("inf"), []
    for _ in range(repeat):
        t0 = time.perf_counter()
        records = list(hash_many(items, FAST, workers=workers))
        best = min(best, time.perf_counter() - t0)
        hashes = [r.pdq or "" for r in records[: len(paths)]]
    return best, hashes


def _pdqhash_on_reduced_rgb(path: Path) -> str:
    """netsafe's first fast mode, for comparison: pdqhash on libjpeg's 1/2-1/8 RGB decode (no own filter)."""
    with Image.open(path) as im:
        w, h = im.size
        scale = min(w, h) / 256
        if scale >= 2:
            im.draft("RGB", (max(1, int(w / scale)), max(1, int(h / scale))))
        vector, _quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    return bits_to_hex(vector)


def _tuning(paths: list[Path], exact: list[str], repeat: int) -> list[str]:
    """Fast mode's speed and distance from exact for other FAST_MIN_SIDE values (one core, CPU time)."""
    from netsafe.signals import imaging

    chosen = imaging.FAST_MIN_SIDE
    lines = [
        "Fast-mode tuning, one core (images/s by CPU time; distance to exact over the corpus):",
        "",
        "| fast-mode variant | images/s | distance to exact |",
        "|---|---:|---|",
    ]
    variants: list[tuple[str, Callable[[Path], str], int]] = [
        ("pdqhash on the 1/2-1/8 RGB decode (first fast mode)", _pdqhash_on_reduced_rgb, chosen)
    ]
    for side in (64, 128, 256, 512):
        mark = " (chosen)" if side == chosen else ""
        variants.append((f"netsafe fast, FAST_MIN_SIDE={side}{mark}", _netsafe(FAST), side))
    try:
        for label, fn, side in variants:
            imaging.FAST_MIN_SIDE = side
            method = Method("t", label, fn)
            method.hash_one(paths[0])
            for _ in range(repeat):
                _time_pass(method, paths)
            dist = [hamming_hex(a, b) for a, b in zip(method.hashes, exact, strict=True)]
            lines.append(f"| {label} | {len(paths) / method.cpu:.1f} | {_stats(dist)} |")
    finally:
        imaging.FAST_MIN_SIDE = chosen
    return lines


def _stats(values: list[int]) -> str:
    arr = np.asarray(values)
    return f"mean {arr.mean():.2f}, p99 {np.percentile(arr, 99):.0f}, max {arr.max()}"


def _machine(cores: int) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {cpu}, {cores} cores usable, load average at start {load}",
        f"- Python {platform.python_version()}, Pillow {version('pillow')} (libjpeg-turbo "
        f"{features.version('jpg')}), numpy {np.__version__}, pdqhash {version('pdqhash')}, "
        f"threatexchange {version('threatexchange')}",
    ]


def _reference_table(reference: Path) -> list[str]:
    expected = reference / "pdq" / "expected.csv"
    if not expected.exists():
        return [f"(no reference hashes at {expected}; pass --reference)"]
    lines = [
        "| image | quality | threatexchange | Pillow+pdqhash | netsafe exact | netsafe fast |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with expected.open(newline="") as fh:
        for row in csv.DictReader(fh):
            path = reference / "pdq" / row["path"]
            ref = row["pdq"]
            tx_hash, quality = pdq_from_file(path)  # PdqSignal's hasher, before its quality cut
            cells = [
                hamming_hex(tx_hash, ref),
                hamming_hex(_pillow_pdqhash(path), ref),
                hamming_hex(pdq_from_source(str(path), "exact").hash, ref),
                hamming_hex(pdq_from_source(str(path), "fast").hash, ref),
            ]
            lines.append(f"| {row['path']} | {quality} | " + " | ".join(str(c) for c in cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="12 images, one pass (under a minute)")
    parser.add_argument("--images", type=int, help="corpus size (default 60, --quick 12)")
    parser.add_argument("--repeat", type=int, help="passes per method, best kept (default 2, --quick 1)")
    parser.add_argument("--workers", type=int, default=0, help="processes for (e) (default: all cores)")
    parser.add_argument(
        "--corpus", type=Path, default=HERE / "out" / "corpus", help="where images are cached"
    )
    parser.add_argument(
        "--tune", action="store_true", help="also time fast mode at other FAST_MIN_SIDE values"
    )
    parser.add_argument(
        "--reference", type=Path, default=DEFAULT_REFERENCE, help="reference media (tests/data/reference)"
    )
    args = parser.parse_args()
    count = args.images or (12 if args.quick else 60)
    repeat = args.repeat or (1 if args.quick else 2)

    print(f"generating/reusing {count} JPEGs in {args.corpus} ...", file=sys.stderr)
    paths = make_corpus(args.corpus, count)
    for p in paths:  # page cache: every method reads warm files
        p.read_bytes()
    sizes = [Image.open(p).size for p in paths]
    megapixels = sum(w * h for w, h in sizes) / 1e6
    megabytes = sum(p.stat().st_size for p in paths) / 1e6

    all_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    cores = len(all_cpus) or os.cpu_count() or 1
    pinned = "not pinned (no sched_setaffinity here)"
    if all_cpus:
        core = min(all_cpus)
        os.sched_setaffinity(0, {core})
        pinned = f"pinned to CPU {core}"

    methods = [
        Method("a", "(a) threatexchange PdqSignal.hash_from_file", _threatexchange),
        Method("b", "(b) Pillow + pdqhash, full decode", _pillow_pdqhash),
        Method("c", "(c) netsafe exact", _netsafe(EXACT)),
        Method("d", "(d) netsafe fast", _netsafe(FAST)),
    ]
    for m in methods:  # warm-up: imports, lazy initialisation, netsafe's per-size filter weights
        m.hash_one(paths[0])
    for r in range(repeat):
        for m in methods:
            print(f"pass {r + 1}/{repeat}: {m.label} ...", file=sys.stderr)
            _time_pass(m, paths)

    tuning = _tuning(paths, by_key(methods)["c"].hashes, repeat) if args.tune else []
    if all_cpus:
        os.sched_setaffinity(0, all_cpus)
    workers = args.workers or default_workers()
    print(f"(e) netsafe fast, {workers} workers ...", file=sys.stderr)
    rounds = max(1, -(-MULTI_MIN_FILES // len(paths)))
    multi_wall, multi_hashes = _all_cores(paths, workers, repeat, rounds)

    by = by_key(methods)
    tx, fast, exact, plain = by["a"], by["d"], by["c"], by["b"]
    n = len(paths)
    out = ["## Hashing throughput (issue 2)", ""]
    out += _machine(cores)
    out += [
        f"- command: `python benchmarks/hash_throughput.py{' --quick' if args.quick else ''}"
        f"{f' --images {args.images}' if args.images else ''}`",
        f"- corpus: {n} JPEGs (q{JPEG_QUALITY}), {min(sizes)[0]}x{min(sizes)[1]} up to "
        f"{max(sizes)[0]}x{max(sizes)[1]}, {megapixels:.0f} Mpx, {megabytes:.0f} MB; "
        f"best of {repeat} pass(es); (a)-(d) {pinned}",
        "",
        "| method | cores | images/s (wall) | images/s (CPU time) | ms/image |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in methods:
        out.append(f"| {m.label} | 1 | {n / m.wall:.2f} | {n / m.cpu:.2f} | {1000 * m.wall / n:.1f} |")
    multi_n = n * rounds
    out.append(
        f"| (e) netsafe fast, hash_many ({multi_n} files) | {workers} | {multi_n / multi_wall:.2f} | "
        f"| {1000 * multi_wall / multi_n:.1f} |"
    )
    out += [
        "",
        f"**netsafe fast / threatexchange, one core: {tx.wall / fast.wall:.1f}x** (CPU time: "
        f"{tx.cpu / fast.cpu:.1f}x); netsafe exact / threatexchange: {tx.wall / exact.wall:.2f}x; "
        f"netsafe fast on {workers} cores / threatexchange on one: "
        f"{tx.wall * multi_n / (n * multi_wall):.1f}x",
        "",
        "CPU ms per image by size, one core:",
        "",
        "| size | " + " | ".join(m.label.split(" ", 1)[0] for m in methods) + " |",
        "|---|" + "---:|" * len(methods),
    ]
    for size in sorted(set(sizes), key=lambda s: s[0] * s[1]):
        idx = [i for i, s in enumerate(sizes) if s == size]
        cells = [f"{1000 * float(np.mean([m.per_image[i] for i in idx])):.1f}" for m in methods]
        out.append(f"| {size[0]}x{size[1]} ({len(idx)}) | " + " | ".join(cells) + " |")

    fast_vs_exact = [hamming_hex(f, e) for f, e in zip(fast.hashes, exact.hashes, strict=True)]
    identical = sum(e == p for e, p in zip(exact.hashes, plain.hashes, strict=True))
    tx_same = sum(t in ("", p) for t, p in zip(tx.hashes, plain.hashes, strict=True))
    multi_same = sum(a == b for a, b in zip(multi_hashes, fast.hashes, strict=True))
    out += [
        "",
        f"- Hamming distance netsafe fast vs exact over the corpus: {_stats(fast_vs_exact)} (bits of 256)",
        f"- netsafe exact == Pillow + pdqhash bit for bit: {identical}/{n}; "
        f"threatexchange == Pillow + pdqhash: {tx_same}/{n}; (e) == (d): {multi_same}/{n}",
        "",
        *([*tuning, ""] if tuning else []),
        "Distance to Meta's reference hashes (tests/data/reference/pdq/expected.csv):",
        "",
        *_reference_table(args.reference),
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
