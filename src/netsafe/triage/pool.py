"""Decoder processes for scan jobs: netsafe.hashing.crashsafe's pool, with a crash becoming an error line."""

from __future__ import annotations

from collections.abc import Callable

from netsafe.hashing.crashsafe import CRASH_MESSAGE, CrashSafePool, Pending
from netsafe.hashing.record import FileRecord
from netsafe.triage.work import Decoded, DecodeJob, decode

__all__ = ["CRASH_MESSAGE", "DecodePool", "Pending"]


def _crashed(job: DecodeJob) -> Decoded:
    return Decoded(FileRecord(path=job.name, error=CRASH_MESSAGE))


class DecodePool(CrashSafePool[DecodeJob, Decoded]):
    def __init__(self, workers: int, func: Callable[[DecodeJob], Decoded] = decode) -> None:
        super().__init__(workers, func, _crashed)
