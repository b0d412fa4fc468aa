"""Cost of one rate-limit check: the shared limiter (a memory-mapped file, what the workers of one
``netsafe serve --workers N`` use) against the in-memory one (one worker) and against the ``limits``
library (installed by benchmarks/setup.sh), whose strategies share state between processes only through a
server (Redis, Memcached, MongoDB): in memory it is per process, like our one-worker limiter.

    .venv/bin/python benchmarks/rate_limit.py [--takes 200000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from netsafe.web.ratelimit import RateLimiter, SharedRateLimiter


def _per_take(limiter: RateLimiter, takes: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(takes):
            limiter.take(f"t{i % 64}")
        best = min(best, (time.perf_counter() - start) / takes)
    return best


def _per_hit_limits(takes: int) -> dict[str, float]:
    try:
        from limits import RateLimitItemPerMinute
        from limits.storage import MemoryStorage
        from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
    except ImportError:
        return {}
    out = {}
    item = RateLimitItemPerMinute(10**9)
    for name, strategy in (
        ("fixed window", FixedWindowRateLimiter),
        ("moving window", MovingWindowRateLimiter),
    ):
        limiter = strategy(MemoryStorage())
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for i in range(takes):
                limiter.hit(item, f"t{i % 64}")
            best = min(best, (time.perf_counter() - start) / takes)
        out[name] = best
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--takes", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        memory = _per_take(RateLimiter(10**9, 10**6), args.takes)
        shared_limiter = SharedRateLimiter(Path(work) / "rate-limit", 10**9, 10**6)
        shared = _per_take(shared_limiter, args.takes)
        shared_limiter.close()
    print(f"in memory (one worker):        {memory * 1e6:.2f} us a check")
    print(f"shared file (several workers): {shared * 1e6:.2f} us a check ({shared / memory:.1f}x)")
    for name, cost in _per_hit_limits(min(args.takes, 50_000)).items():
        print(
            f"limits {name}, in memory (one worker): {cost * 1e6:.2f} us a check "
            f"({cost / shared:.2f}x shared)"
        )


if __name__ == "__main__":
    main()
