"""Rate limits: a token bucket per principal, in memory for one worker, shared through a file by several."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from netsafe.web.ratelimit import ENV_FILE, RateLimiter, SharedRateLimiter, limiter_for


def _allowed(limiter: RateLimiter, key: str, n: int) -> int:
    return sum(limiter.take(key) == 0 for _ in range(n))


@pytest.mark.parametrize("shared", [False, True])
def test_a_burst_then_the_rate(tmp_path: Path, shared: bool) -> None:
    limiter = SharedRateLimiter(tmp_path / "rl", 6000, 3) if shared else RateLimiter(6000, 3)  # 100/s
    assert _allowed(limiter, "t1", 5) == 3
    wait = limiter.take("t1")
    assert 0 < wait <= 0.011
    assert _allowed(limiter, "t2", 1) == 1  # another token has its own bucket
    time.sleep(0.05)
    assert limiter.take("t1") == 0  # refilled at the rate


def test_workers_sharing_the_file_share_each_tokens_bucket(tmp_path: Path) -> None:
    one = SharedRateLimiter(tmp_path / "rl", 1, 5)
    two = SharedRateLimiter(tmp_path / "rl", 1, 5)
    assert _allowed(one, "t1", 3) == 3
    assert _allowed(two, "t1", 3) == 2
    assert _allowed(one, "t1", 2) == 0
    assert _allowed(two, "t2", 5) == 5
    one.close()
    two.close()


def _take_many(path: str, n: int, out: multiprocessing.Queue[int]) -> None:
    limiter = SharedRateLimiter(Path(path), 1, 7)
    out.put(_allowed(limiter, "t1", n))
    limiter.close()


def test_processes_sharing_the_file_are_limited_together(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_take_many, args=(str(tmp_path / "rl"), 20, out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    counts = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(30)
    assert sum(counts) == 7  # the burst once, not once per process


def test_a_table_with_no_free_slot_starts_afresh_instead_of_failing(tmp_path: Path) -> None:
    limiter = SharedRateLimiter(tmp_path / "rl", 1, 2, slots=4)
    for i in range(50):  # more keys than slots
        assert limiter.take(f"flood{i}") == 0  # each new key gets its burst
    assert _allowed(limiter, "steady", 3) == 2  # and a key in use keeps counting
    limiter.close()


def test_slots_must_be_a_power_of_two(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="power of two"):
        SharedRateLimiter(tmp_path / "rl", 1, 2, slots=6)


def test_the_shared_limiter_only_where_serve_made_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_FILE, raising=False)
    assert type(limiter_for(60, 5)) is RateLimiter
    monkeypatch.setenv(ENV_FILE, str(tmp_path / "rl"))
    assert isinstance(limiter_for(60, 5), SharedRateLimiter)
    assert type(limiter_for(0, 5)) is RateLimiter  # off: nothing to share
