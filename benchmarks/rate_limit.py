"""Cost of one rate-limit check: the shared limiter (a memory-mapped file, what the workers of one
``netsafe serve --workers N`` use) against the in-memory one (one worker).

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


if __name__ == "__main__":
    main()
