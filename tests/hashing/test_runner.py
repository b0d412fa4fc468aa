"""Parallel hashing: same results as serial, in order, and a crashing decoder costs one file only."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from netsafe.hashing.options import HashOptions
from netsafe.hashing.runner import CRASH_MESSAGE, hash_many
from netsafe.hashing.walk import walk
from netsafe.samples import synthetic_photo

sys.path.insert(0, str(Path(__file__).parent))
from crashing import crash_on_poison


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for i in range(12):
        sub = tmp_path / f"d{i % 3}"
        sub.mkdir(exist_ok=True)
        synthetic_photo(i, 200, 150).save(sub / f"img{i:02d}.jpg")
    (tmp_path / "d0" / "notes.txt").write_text("hello")
    return tmp_path


def test_walk_is_recursive_and_sorted(folder: Path) -> None:
    found = [f.path for f in walk([str(folder)])]
    assert len(found) == 13
    assert found == sorted(found)


def test_walk_reports_symlinked_folders_without_following(folder: Path) -> None:
    (folder / "loop").symlink_to(folder)
    found = list(walk([str(folder)]))
    loop = [f for f in found if f.path.endswith("loop")]
    assert len(loop) == 1 and loop[0].error is not None
    assert len(found) == 14


def test_parallel_equals_serial(folder: Path) -> None:
    items = list(walk([str(folder)]))
    serial = [r.as_dict() for r in hash_many(items, HashOptions(), workers=1)]
    parallel = [r.as_dict() for r in hash_many(items, HashOptions(), workers=2)]
    assert parallel == serial
    assert [r["path"] for r in serial] == [i.path for i in items]


def test_worker_crash_costs_one_file(folder: Path) -> None:
    synthetic_photo(99, 200, 150).save(folder / "d1" / "poison.jpg")
    items = list(walk([str(folder)]))
    seen: list[str] = []
    records = list(
        hash_many(
            items, HashOptions(), workers=2, on_done=lambda r: seen.append(r.path), func=crash_on_poison
        )
    )
    assert [r.path for r in records] == [i.path for i in items] == seen
    failed = [r for r in records if r.error]
    assert [Path(r.path).name for r in failed] == ["poison.jpg"]
    assert failed[0].error == CRASH_MESSAGE
    assert all(r.pdq for r in records if r.path.endswith(".jpg") and not r.error)


def test_a_hung_decoder_costs_one_file_not_the_run() -> None:
    from crashing import hang_on_poison

    from netsafe.hashing.crashsafe import CrashSafePool

    jobs = ["a", "b", "poison", "c", "d"]
    started = time.monotonic()
    with CrashSafePool[str, str](2, hang_on_poison, lambda job: f"crashed:{job}", job_seconds=1) as pool:
        results = [pool.result(p) for p in [pool.submit(job) for job in jobs]]
    assert results == ["A", "B", "crashed:poison", "C", "D"]
    assert time.monotonic() - started < 30  # the poisoned job is given its time twice (alone the second)
