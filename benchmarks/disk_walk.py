"""Disk-image walk time (issue 18): what listing and reading a file system through The Sleuth Kit costs.

    python benchmarks/disk_walk.py [--files 4000] [--small 40] [--repeat 3] [--work DIR]

Builds (in a temporary folder, or once in --work DIR) an ext4 and a FAT image of --files small files in
nested folders, and --small tiny ext4 images in one folder, then times ``netsafe.media.iter_sources`` on
each, best of --repeat runs, as CPU and wall seconds of this process and its children (walker processes
included):

- list: every item and issue of the image, contents not read;
- read: the same, each item read to the end and hashed (MD5), as a scan's readers do;
- small images: --small tiny images in one folder, listed: the fixed cost per disk image.

Needs mkfs.ext4 (e2fsprogs), mkfs.vfat (dosfstools) and mcopy (mtools).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from netsafe.media import Limits, MediaItem, iter_sources


def build_tree(root: Path, files: int, seed: int = 18) -> None:
    rng = random.Random(seed)
    for i in range(files):
        folder = root / f"d{i % 40:02d}" / f"s{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.bin").write_bytes(rng.randbytes(rng.randrange(200, 6000)))


def make_ext4(image: Path, tree: Path, size: str) -> None:
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image), size], check=True, capture_output=True
    )


def make_fat(image: Path, tree: Path, size_kib: int) -> None:
    subprocess.run(["mkfs.vfat", "-C", str(image), str(size_kib)], check=True, capture_output=True)
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    for child in sorted(tree.iterdir()):
        subprocess.run(["mcopy", "-s", "-i", str(image), str(child), "::/"], check=True, env=env)


def cpu() -> float:
    """CPU seconds of this process, its ended children and its running ones (idle walker processes)."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def best(runs: int, work: Callable[[], int]) -> tuple[float, float, int]:
    """Best wall and CPU seconds of ``runs`` runs of ``work`` (which returns the number of items)."""
    walls, cpus, count = [], [], 0
    for _ in range(runs):
        t0, c0 = time.perf_counter(), cpu()
        count = work()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    return min(walls), min(cpus), count


def listing(path: Path) -> Callable[[], int]:
    return lambda: sum(isinstance(e, MediaItem) for e in iter_sources([str(path)], Limits()))


def reading(path: Path) -> Callable[[], int]:
    def work() -> int:
        n = 0
        for event in iter_sources([str(path)], Limits()):
            if isinstance(event, MediaItem):
                hashlib.md5(event.read_bytes()).hexdigest()
                n += 1
        return n

    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep the images here and reuse them on the next run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netsafe-diskwalk-") as tmp:
        work = args.work or Path(tmp)
        small = work / "small"
        if not (work / "built").exists():
            tree, tiny = work / "tree", work / "tiny"
            build_tree(tree, args.files)
            build_tree(tiny, 6)
            make_ext4(work / "big.ext4", tree, "64M")
            make_fat(work / "big.fat", tree, 64 * 1024)
            small.mkdir()
            for i in range(args.small):
                make_ext4(small / f"img{i:03d}.ext4", tiny, "1M")
            (work / "built").touch()
        rows = [
            ("ext4, list", listing(work / "big.ext4")),
            ("ext4, read", reading(work / "big.ext4")),
            ("FAT, list", listing(work / "big.fat")),
            ("FAT, read", reading(work / "big.fat")),
            (f"{args.small} small ext4 images, list", listing(small)),
        ]
        print(f"| {args.files} files | items | wall s (best of {args.repeat}) | CPU s |")
        print("|---|---:|---:|---:|")
        for name, job in rows:
            wall, used, count = best(args.repeat, job)
            print(f"| {name} | {count} | {wall:.3f} | {used:.3f} |")


if __name__ == "__main__":
    main()
