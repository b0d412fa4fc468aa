"""One thread doing store work for many waiting callers: batching, errors, cancelled waiters."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from netsafe.store.batch import BatchThread


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = threading.Event()

    def handle(self, items: list[int]) -> None:
        self.gate.wait(5)  # the first batch holds the thread while the others queue up
        if any(i < 0 for i in items):
            raise ValueError(f"negative item in {items}")
        self.batches.append(list(items))


def test_callers_waiting_together_share_a_batch() -> None:
    rec = Recorder()
    batches: BatchThread[int] = BatchThread("test", rec.handle)

    async def many() -> None:
        tasks = [asyncio.ensure_future(batches.submit_async(i)) for i in range(100)]
        await asyncio.sleep(0.05)
        rec.gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(many())
    assert sorted(i for b in rec.batches for i in b) == list(range(100))
    assert len(rec.batches) < 100  # some were handled together
    rec.batches.clear()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(batches.submit, range(40)))
    assert sorted(i for b in rec.batches for i in b) == list(range(40))


def test_an_error_reaches_every_caller_of_its_batch_and_only_them() -> None:
    rec = Recorder()
    batches: BatchThread[int] = BatchThread("test", rec.handle, max_batch=1)
    rec.gate.set()
    with pytest.raises(ValueError, match="negative"):
        batches.submit(-1)
    batches.submit(1)  # the thread survived

    async def mixed() -> list[BaseException | None]:
        results = await asyncio.gather(
            batches.submit_async(-2), batches.submit_async(2), return_exceptions=True
        )
        return list(results)

    bad, good = asyncio.run(mixed())
    assert isinstance(bad, ValueError) and good is None
    assert rec.batches == [[1], [2]]


def test_a_cancelled_waiter_does_not_disturb_the_rest() -> None:
    rec = Recorder()
    batches: BatchThread[int] = BatchThread("test", rec.handle)

    async def run() -> None:
        gone = asyncio.ensure_future(batches.submit_async(1))
        stays = asyncio.ensure_future(batches.submit_async(2))
        await asyncio.sleep(0.01)
        gone.cancel()
        rec.gate.set()
        await stays
        with pytest.raises(TimeoutError, match="no answer"):
            rec.gate.clear()
            await batches.submit_async(3, timeout=0.05)

    asyncio.run(run())
    rec.gate.set()
    assert sorted(i for b in rec.batches for i in b)[:2] == [1, 2]


def test_what_one_turn_of_the_loop_submits_is_handed_over_together() -> None:
    rec = Recorder()
    rec.gate.set()  # the thread is free: handed over one by one, the first would go alone
    batches: BatchThread[int] = BatchThread("test", rec.handle)

    async def busy_then_submit(i: int) -> None:
        time.sleep(0.001)  # the loop's work for this request, letting the writer thread run meanwhile
        await batches.submit_async(i)

    async def one_turn() -> None:
        await asyncio.gather(*(busy_then_submit(i) for i in range(50)))

    asyncio.run(one_turn())
    assert rec.batches == [list(range(50))]


def test_max_batch_splits_what_was_handed_over_together() -> None:
    rec = Recorder()
    rec.gate.set()
    batches: BatchThread[int] = BatchThread("test", rec.handle, max_batch=20)

    async def one_turn() -> None:
        await asyncio.gather(*(batches.submit_async(i) for i in range(50)))

    asyncio.run(one_turn())
    assert [len(b) for b in rec.batches] == [20, 20, 10]
    assert [i for b in rec.batches for i in b] == list(range(50))
