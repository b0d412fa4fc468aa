"""The service writes the deterrence counts held in memory at least every ``flush_seconds``, traffic or not.

Checks only add to the tally (``deterrence.counting.Tally``); a check that finds a flush due starts it. With
that alone, counts made just before a quiet spell would sit in memory until the next check or the clean
shutdown, and a crash in between would lose them however long ago they were made. This task bounds the loss
to ``flush_seconds``.
"""

from __future__ import annotations

import asyncio

from netsafe.deterrence.checking import Checker

MIN_PAUSE = 0.05  # a flush_seconds of 0 (tests: write at once) must not spin
MAX_PAUSE = 1.0  # a flush_seconds changed while the task sleeps takes effect within this


async def flush_forever(checker: Checker) -> None:
    while True:
        await asyncio.sleep(min(max(checker.tally.flush_seconds, MIN_PAUSE), MAX_PAUSE))
        if checker.tally.claim_flush():
            await asyncio.to_thread(checker.flush_quietly)
