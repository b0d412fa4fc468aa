"""Command-line start-up (issue 16 §3): seconds from launch to the first byte of output.

    python benchmarks/cli_startup.py [--baseline SRC] [--repeat 15]

Runs ``python -m netsafe --help`` and ``python -m netsafe hash one.jpg --signals md5`` from this tree's
sources and, with --baseline, from another source tree (e.g. main, unpacked with
``git archive main src | tar -x -C /tmp/netsafe-main``), alternating the two so machine load falls on both
alike. Reports the median and the best of --repeat runs, and the modules each run imported according to
``python -X importtime`` (count and the self-reported import seconds). Targets: 0.25 s for ``--help``,
0.4 s for ``hash --signals md5``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src"
TARGETS = {"--help": 0.25, "hash one.jpg --signals md5": 0.4}


def first_output(src: Path, args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds to the first byte of output, and CPU seconds of the whole run (less hurt by load)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "netsafe", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.read(1)
        took = time.perf_counter() - start
        proc.stdout.read()
    if proc.returncode != 0:
        raise SystemExit(f"netsafe {' '.join(args)} failed with exit status {proc.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return took, cpu


def imports(src: Path, args: list[str], cwd: Path) -> tuple[int, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "netsafe", *args],
        env=env, cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")][1:]
    top = sum(int(r[1]) for r in rows if r[2][1:2] != " ")  # cumulative of top-level imports
    return len(rows), top / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another tree's src folder to compare against")
    parser.add_argument("--repeat", type=int, default=15)
    opts = parser.parse_args()
    trees = {"this tree": HERE}
    if opts.baseline:
        trees["baseline"] = opts.baseline.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        from PIL import Image  # a benign solid-colour picture, made here

        Image.new("RGB", (640, 480), (200, 120, 40)).save(cwd / "one.jpg", quality=90)
        for label, target in TARGETS.items():
            args = label.split()
            times: dict[str, list[float]] = {name: [] for name in trees}
            cpus: dict[str, list[float]] = {name: [] for name in trees}
            for src in trees.values():
                first_output(src, args, cwd)  # warm the file cache and .pyc files
            for _ in range(opts.repeat):
                for name, src in trees.items():
                    took, cpu = first_output(src, args, cwd)
                    times[name].append(took)
                    cpus[name].append(cpu)
            for name, src in trees.items():
                count, seconds = imports(src, args, cwd)
                median, best = statistics.median(times[name]), min(times[name])
                verdict = "meets" if median <= target else "misses"
                print(
                    f"netsafe {label:28} {name:10} median {median:.3f} s  best {best:.3f} s  "
                    f"CPU median {statistics.median(cpus[name]):.3f} s  "
                    f"({count} modules, {seconds:.3f} s importing)  {verdict} the {target} s target"
                )
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
