"""Scan throughput (issue 4): hashdeep against ``netsafe scan`` on the same tree, in one run.

    python benchmarks/scan_throughput.py [--size 2G] [--tree DIR] [--workers N] [--entries 1000000]
    python benchmarks/scan_throughput.py --cluster local:2 [--size 500M]

Builds (once, cached in --tree) a tree of mixed files: JPEG/PNG photos, MP4 videos, documents, zip and
tar.gz archives. Then, with a warm page cache for every contestant:

1. ``hashdeep -c md5,sha256 -r TREE`` (Debian package ``hashdeep``; see benchmarks/README.md),
2. ``netsafe scan TREE --signals md5,sha256`` (an empty store: nothing to match),
3. ``netsafe scan TREE`` (all signals: MD5, SHA-1, SHA-256, PDQ, vPDQ) against a hash set of --entries
   random entries (imported once into a cached store).

Prints files/s and MB/s of each (wall clock of the whole command, start-up included) and the ratio of (2)
to (1). MB/s counts the bytes of the files on disk, as hashdeep sees them; netsafe also reads every
archive member, which is extra work it is not credited for.

With ``--cluster local:N`` (issue 16 §1) it compares instead, on one PostgreSQL store (a private server
started for the run), ``netsafe scan TREE`` in one process against ``netsafe scan TREE --cluster local:N``,
all signals, no hash set: the ratio of their wall clocks, CPU seconds and load average, and the per-batch
figures the cluster recorded (``scan_tasks``), from which it states what N machines would take.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from netsafe.samples import synthetic_photo, write_video

HERE = Path(__file__).resolve().parent
MiB = 1 << 20


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _variant(photos: list[Image.Image], seed: int) -> bytes:
    """A distinct JPEG made cheaply from one of a few base photos (size, crop and quality vary)."""
    rng = random.Random(seed)
    img = photos[seed % len(photos)]
    scale = rng.uniform(0.35, 1.0)
    w, h = int(img.width * scale), int(img.height * scale)
    x, y = rng.randrange(0, img.width - w + 1), rng.randrange(0, img.height - h + 1)
    out = io.BytesIO()
    img.crop((x, y, x + w, y + h)).save(out, "JPEG", quality=rng.randrange(70, 96))
    return out.getvalue()


def build_tree(root: Path, size: int) -> None:
    """Images ~45% of the bytes, documents ~35%, archives ~15%, videos ~5%; every file distinct."""
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == str(size):
        return
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = np.random.default_rng(1)
    written = {"images": 0, "documents": 0, "archives": 0, "videos": 0}
    budget = {"images": 0.45 * size, "documents": 0.35 * size, "archives": 0.15 * size, "videos": 0.05 * size}
    seed = 0
    # A few large base photos, then crops of them at other sizes and qualities for volume: cheap to
    # make, still all distinct files.
    base_photos = [synthetic_photo(s, 2048, 1536) for s in range(24)]
    while written["images"] < budget["images"]:
        seed += 1
        folder = root / "photos" / f"{seed // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if seed % 10 == 0:
            out = io.BytesIO()
            base_photos[seed % len(base_photos)].resize((800, 600)).save(out, "PNG", compress_level=1)
            data, name = out.getvalue(), f"IMG_{seed:05d}.png"
        else:
            data, name = _variant(base_photos, seed), f"IMG_{seed:05d}.jpg"
        (folder / name).write_bytes(data)
        written["images"] += len(data)
    n = 0
    while written["documents"] < budget["documents"]:
        n += 1
        kind = n % 3
        length = int(rng.integers(64 << 10, 24 << 20))
        body = rng.integers(0, 256, size=length, dtype=np.uint8).tobytes()
        header = (b"%PDF-1.7\n", b"PK\x03\x04DOCX-ish", b"")[kind] if kind != 2 else b""
        path = root / "documents" / f"doc{n:04d}.{('pdf', 'bin', 'dat')[kind]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == 2:
            path.write_text(f"Lorem ipsum dolor sit amet {n}\n" * (length // 30))
            written["documents"] += path.stat().st_size
        else:
            path.write_bytes(header + body)
            written["documents"] += len(header) + length
    n = 0
    while written["archives"] < budget["archives"]:
        n += 1
        path = root / "archives" / (f"set{n:03d}.zip" if n % 2 else f"set{n:03d}.tar.gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        members = {f"p/{n}_{i}.jpg": _variant(base_photos, n * 100 + i) for i in range(12)}
        if n % 2:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
                for name, data in members.items():
                    zf.writestr(name, data)
        else:
            with tarfile.open(path, "w:gz", compresslevel=1) as tf:
                for name, data in members.items():
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
        written["archives"] += path.stat().st_size
    n = 0
    while written["videos"] < budget["videos"]:
        n += 1
        path = root / "videos" / f"clip{n:03d}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        scenes = [np.asarray(synthetic_photo(200_000 + n * 10 + k, 640, 480)) for k in range(10)]
        write_video(path, [scenes[i // 15] for i in range(150)], fps=15)  # 10 s, a new scene every second
        written["videos"] += path.stat().st_size
    marker.write_text(str(size))


def tree_stats(root: Path) -> tuple[int, int]:
    files = nbytes = 0
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if name == ".complete":
                continue
            files += 1
            nbytes += os.path.getsize(os.path.join(dirpath, name))
    return files, nbytes


def warm(root: Path) -> None:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                while fh.read(8 << 20):
                    pass


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, the command and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} {' '.join(cmd[1:4])} failed: {done.stderr.decode(errors='replace')[-600:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def make_hashset(store: Path, entries: int) -> None:
    """A store holding one hash set of ``entries`` random entries (MD5, SHA-256, PDQ, category)."""
    marker = store / f".hashset-{entries}"
    if marker.exists():
        return
    store.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    listing = store / "list.csv"
    with open(listing, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["MediaID", "MD5", "SHA256", "PDQ", "Category"])
        cats = ["A", "B", "C", ""]
        for start in range(0, entries, 100_000):
            n = min(100_000, entries - start)
            raw = rng.integers(0, 256, size=(n, 16 + 32 + 32), dtype=np.uint8)
            for i in range(n):
                row = raw[i].tobytes()
                writer.writerow(
                    [start + i + 1, row[:16].hex(), row[16:48].hex(), row[48:].hex(), cats[i % 4]]
                )
    env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{store / 'netsafe.db'}"}
    print(f"importing a {entries:,}-entry hash set (once) ...", flush=True)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "netsafe",
            "hashset",
            "import",
            str(listing),
            "--name",
            "bench",
            "--format",
            "csv",
            "--profile",
            "uk-caid",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  imported in {time.perf_counter() - start:.0f} s", flush=True)
    listing.unlink()
    marker.write_text("ok")


def start_dask(work: Path, workers: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` on 127.0.0.1, as docs/scale.md
    starts them (without TLS): a cluster that outlives one scan, so its second scan runs on warm workers."""
    dask = str(Path(sys.executable).with_name("dask"))
    info = work / "scheduler.json"
    env = {**os.environ, "NETSAFE_INDEX_DIR": str(work / "ix-dask")}
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(info),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    deadline = time.monotonic() + 60
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    procs.append(
        subprocess.Popen(
            [
                dask,
                "worker",
                "--scheduler-file",
                str(info),
                "--nworkers",
                str(workers),
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    )
    address = str(json.loads(info.read_text())["address"])
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def cluster_compare(tree: Path, files: int, nbytes: int, cluster: str, workers: int) -> None:
    """One process against ``--cluster``, both on one private PostgreSQL server, all signals; then the
    same on a running cluster of as many workers, twice (the second on warm workers)."""
    from sqlalchemy import create_engine, text

    from netsafe.store.testing import PostgresServer

    server = PostgresServer().start()
    work = Path(tempfile.mkdtemp(prefix="scan-bench-cluster-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        n = int(cluster.split(":")[1]) if cluster.startswith("local:") else workers
        address, procs = start_dask(work, n)
        runs: dict[str, tuple[float, float, float, float]] = {}
        for name, extra in (
            ("one process", ["--workers", str(workers)]),
            (f"--cluster {cluster}", ["--cluster", cluster]),
            ("running, cold", ["--cluster", address]),
            ("running, warm", ["--cluster", address]),
        ):
            url = server.create_database(f"bench_{len(runs)}")
            env = {
                **os.environ,
                "NETSAFE_DATABASE_URL": url,
                "NETSAFE_INDEX_DIR": str(work / f"ix{len(runs)}"),
            }
            out = work / f"out{len(runs)}"
            load_before = os.getloadavg()[0]
            cmd = [sys.executable, "-m", "netsafe", "scan", str(tree), "--out", str(out), "--quiet", *extra]
            wall, cpu = timed(cmd, env)
            load_after = os.getloadavg()[0]
            scan_s = json.loads((out / "report.json").read_text())["scan"]["elapsed_seconds"]
            runs[name] = (wall, cpu, scan_s, max(load_before, load_after))
            print(
                f"  {name}: {wall:.1f} s wall ({scan_s:.1f} s scanning), {cpu:.1f} CPU s, "
                f"{files / wall:.1f} files/s, {nbytes / wall / 1e6:.1f} MB/s, "
                f"load {load_before:.1f}->{load_after:.1f}",
                flush=True,
            )
        engine = create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT worker, files, bytes, seconds, cpu_seconds FROM scan_tasks ORDER BY first_seq")
            ).all()
        engine.dispose()
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    one, dist = runs["one process"], runs["running, warm"]
    busy = sum(r.seconds for r in rows)
    task_files = sum(r.files for r in rows)
    task_bytes = sum(r.bytes for r in rows)
    per_worker: dict[str, float] = {}
    for r in rows:
        per_worker[r.worker] = per_worker.get(r.worker, 0.0) + r.seconds
    print(f"\n{'':16} {'wall s':>8} {'scan s':>8} {'CPU s':>8} {'files/s':>9} {'MB/s':>8} {'load':>6}")
    for name, (wall, cpu, scan_s, load) in runs.items():
        rates = f"{files / wall:9.1f} {nbytes / wall / 1e6:8.1f}"
        print(f"{name:16} {wall:8.1f} {scan_s:8.1f} {cpu:8.1f} {rates} {load:6.1f}")
    local = runs[f"--cluster {cluster}"]
    print(
        f"\n--cluster {cluster} / one process, wall clock: {one[0] / local[0]:.2f}x faster "
        f"(scan phase {one[2] / local[2]:.2f}x)"
    )
    print(
        f"running cluster, warm workers / one process: {one[0] / dist[0]:.2f}x faster "
        f"(scan phase {one[2] / dist[2]:.2f}x); CPU s of a running cluster's workers are not counted"
    )
    print("per-batch figures below: the warm run")
    print(
        f"batches: {len(rows)}, {task_files:,} files, {task_bytes / 1e6:,.0f} MB, {busy:.1f} busy s in all "
        f"({task_files / busy:.1f} files/s, {task_bytes / busy / 1e6:.1f} MB/s per busy worker); "
        f"mean {busy / len(rows):.2f} s, max {max(r.seconds for r in rows):.2f} s per batch; "
        f"CPU in batches {sum(r.cpu_seconds for r in rows):.1f} s (readers; decoder processes not counted)"
    )
    print("per worker busy s: " + ", ".join(f"{w}: {s:.1f}" for w, s in sorted(per_worker.items())))
    overhead = dist[2] - busy / max(1, len(per_worker))  # planning, start-up, waiting for the last batch
    print(f"fixed cost in the cluster run (scan phase less busy time per worker): {overhead:.1f} s")
    for n in (1, 2, 4, 8, 16):
        est = overhead + busy / n
        print(
            f"  {n:2d} machines like one worker here: ~{est:.1f} s scan phase, ~{nbytes / est / 1e6:.0f} MB/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="2G", help="tree size (e.g. 200M, 2G); default 2G")
    parser.add_argument("--tree", type=Path, default=Path(tempfile.gettempdir()) / "netsafe-scan-bench")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--entries", type=int, default=1_000_000, help="hash-set entries for the full scan")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each crypto contestant (best kept)")
    parser.add_argument("--skip-full", action="store_true", help="only the crypto-only comparison")
    parser.add_argument("--cluster", help="compare one process with --cluster local:N (PostgreSQL) instead")
    args = parser.parse_args()
    if args.cluster:
        size = parse_size(args.size)
        tree = args.tree / f"tree-{args.size}"
        print(f"building the tree ({args.size}) in {tree} (cached) ...", flush=True)
        build_tree(tree, size)
        files, nbytes = tree_stats(tree)
        print(f"tree: {files:,} files, {nbytes / 1e6:,.0f} MB\n", flush=True)
        warm(tree)
        cluster_compare(tree, files, nbytes, args.cluster, args.workers)
        return
    hashdeep = shutil.which("hashdeep")
    if hashdeep is None:
        sys.exit("hashdeep not found: apt-get install hashdeep (see benchmarks/README.md)")
    size = parse_size(args.size)
    tree = args.tree / f"tree-{args.size}"
    print(f"building the tree ({args.size}) in {tree} (cached) ...", flush=True)
    build_tree(tree, size)
    files, nbytes = tree_stats(tree)
    print(f"tree: {files:,} files, {nbytes / 1e6:,.0f} MB; {args.workers} workers/threads\n", flush=True)
    warm(tree)
    work = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    results: list[tuple[str, float, float | None]] = []

    def record(name: str, wall: float, cpu: float | None) -> None:
        results.append((name, wall, cpu))
        cpu_text = f", {cpu:.1f} CPU s" if cpu is not None else ""
        print(
            f"  {name}: {wall:.2f} s{cpu_text}, {files / wall:.1f} files/s, {nbytes / wall / 1e6:.1f} MB/s",
            flush=True,
        )

    def netsafe(out: str, env: dict[str, str], *extra: str) -> list[str]:
        base = [sys.executable, "-m", "netsafe", "scan", str(tree), "--out", str(work / out)]
        return [*base, "--workers", str(args.workers), "--quiet", *extra]

    try:
        # Alternate the contestants so a change in the machine's load hits both alike; keep each one's best.
        hd_runs: list[tuple[float, float]] = []
        ns_runs: list[tuple[float, float]] = []
        for i in range(args.repeat):
            hd_runs.append(timed([hashdeep, "-c", "md5,sha256", "-r", "-j", str(args.workers), str(tree)]))
            env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{work / f'empty{i}.db'}"}
            ns_runs.append(timed(netsafe(f"crypto{i}", env, "--signals", "md5,sha256"), env))
        hd = min(hd_runs)
        ns = min(ns_runs)
        record("hashdeep -c md5,sha256 -r", *hd)
        record("netsafe scan --signals md5,sha256", *ns)
        # The scan itself, without interpreter start-up and report writing (the report records it).
        inner = min(
            json.loads((work / f"crypto{i}" / "report.json").read_text())["scan"]["elapsed_seconds"]
            for i in range(args.repeat)
        )
        record("  (netsafe crypto-only: scan phase alone)", inner, None)
        if not args.skip_full:
            store = args.tree / "store"
            make_hashset(store, args.entries)
            shutil.copy(store / "netsafe.db", work / "full.db")
            if (store / "netsafe.db.indexes").exists():
                shutil.copytree(store / "netsafe.db.indexes", work / "full.db.indexes")
            env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{work / 'full.db'}"}
            full = timed(netsafe("full", env), env)
            # No CPU figure: decoder processes are children of multiprocessing's fork server, which never
            # reaps them, so getrusage cannot see their time.
            record(f"netsafe scan, all signals, {args.entries:,}-entry hash set", full[0], None)
            if not (store / "netsafe.db.indexes").exists() and (work / "full.db.indexes").exists():
                shutil.copytree(work / "full.db.indexes", store / "netsafe.db.indexes")  # reuse next time
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'contestant':58} {'wall s':>8} {'CPU s':>8} {'files/s':>9} {'MB/s':>8}")
    for name, wall, cpu in results:
        cpu_text = f"{cpu:8.1f}" if cpu is not None else f"{'':8}"
        print(f"{name:58} {wall:8.2f} {cpu_text} {files / wall:9.1f} {nbytes / wall / 1e6:8.1f}")
    print(f"\ncrypto-only netsafe / hashdeep, MB/s (wall clock): {hd[0] / ns[0]:.2f}x  (target >= 1.0x)")
    print(f"crypto-only netsafe / hashdeep, MB per CPU second:   {hd[1] / ns[1]:.2f}x")


if __name__ == "__main__":
    main()
