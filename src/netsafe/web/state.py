"""What one worker process holds: settings, the store, the rate limiter and caches."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from netsafe.accounts.service import Principal, Throttle
from netsafe.store.db import Database
from netsafe.web.config import Settings
from netsafe.web.ratelimit import RateLimiter

TOKEN_CACHE_SECONDS = 1.0  # a revoked token stops working within this long


@dataclass
class ServiceState:
    settings: Settings
    db: Database
    limiter: RateLimiter
    throttle: Throttle
    matcher: Any = None  # netsafe.web.matching.SharedMatcher, set by the app factory
    _token_cache: dict[str, tuple[float, Principal | None]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cached_token(self, key: str) -> tuple[bool, Principal | None]:
        with self._lock:
            hit = self._token_cache.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def cache_token(self, key: str, principal: Principal | None) -> None:
        with self._lock:
            if len(self._token_cache) > 10_000:
                self._token_cache.clear()
            self._token_cache[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, principal)


def state_of(request: Request) -> ServiceState:
    return request.app.state.netsafe  # type: ignore[no-any-return]
