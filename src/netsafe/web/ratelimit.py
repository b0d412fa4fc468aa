"""Per-token (or per-session) rate limiting: a token bucket per principal.

One worker keeps its buckets in memory. The workers of one ``netsafe serve --workers N`` share theirs in a
memory-mapped file that the command creates for them (``NETSAFE_RATE_LIMIT_FILE``): a client gets the
configured rate however many workers answer it, for 4.6 us a check against 1.4 us in memory (a ``flock``
and a slot read and written; ``benchmarks/rate_limit.py``), where a shared limiter in the database would
cost a round trip. Servers on different machines still count separately.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: each worker keeps its own buckets
    fcntl = None  # type: ignore[assignment]

ENV_FILE = "NETSAFE_RATE_LIMIT_FILE"


def _refill(tokens: float, last: float, now: float, rate: float, burst: float) -> tuple[float, float]:
    """The bucket after a request at ``now``: (tokens left, seconds to wait; 0 when it may go ahead)."""
    tokens = min(burst, tokens + max(0.0, now - last) * rate)
    if tokens >= 1.0:
        return tokens - 1.0, 0.0
    return tokens, (1.0 - tokens) / rate


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """0 when the request may go ahead, else the seconds to wait."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens, wait = _refill(tokens, last, now, self.rate, self.burst)
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.clear()
            return wait


_SLOT = struct.Struct("<Qdd")  # key digest (0 = free), tokens, time of the last request
MAX_PROBES = 32


class SharedRateLimiter(RateLimiter):
    """The buckets in a file shared by the processes that open it (an open-addressed table of slots).

    ``time.monotonic`` is the system's monotonic clock, the same in every process of the machine. When a
    key finds no free slot within MAX_PROBES, the table starts afresh, as the in-memory limiter does when
    it holds too many keys: a flood of made-up keys costs its victims at most one fresh burst.
    """

    def __init__(self, path: Path, per_minute: int, burst: int, slots: int = 1 << 16) -> None:
        super().__init__(per_minute, burst)
        if slots & (slots - 1):
            raise ValueError("slots must be a power of two")
        self.path = path
        self._mask = slots - 1
        size = slots * _SLOT.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)  # zeros: every slot free
        self._map = mmap.mmap(self._fd, size)

    def take(self, key: str) -> float:
        if not self.enabled:
            return 0.0
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") | 1
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                now = time.monotonic()
                offset = self._slot(digest)
                found, tokens, last = _SLOT.unpack_from(self._map, offset)
                if found != digest:
                    tokens, last = self.burst, now
                tokens, wait = _refill(tokens, last, now, self.rate, self.burst)
                _SLOT.pack_into(self._map, offset, digest, tokens, now)
                return wait
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _slot(self, digest: int) -> int:
        start = digest & self._mask
        for probe in range(MAX_PROBES):
            offset = ((start + probe) & self._mask) * _SLOT.size
            found = _SLOT.unpack_from(self._map, offset)[0]
            if found in (digest, 0):
                return offset
        self._map[:] = bytes(len(self._map))  # full around here: start afresh
        return start * _SLOT.size

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)


def limiter_for(per_minute: int, burst: int) -> RateLimiter:
    """The shared limiter when ``netsafe serve`` made a file for its workers, else one in memory."""
    shared = os.environ.get(ENV_FILE)
    if shared and per_minute > 0 and fcntl is not None:
        return SharedRateLimiter(Path(shared), per_minute, burst)
    return RateLimiter(per_minute, burst)
