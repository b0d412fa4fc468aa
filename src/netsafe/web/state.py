"""What one worker process holds: settings, the store, the rate limiter and caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from netsafe.services.accounts import Throttle
from netsafe.store.db import Database
from netsafe.web.config import Settings
from netsafe.web.ratelimit import RateLimiter
from netsafe.web.tokencache import TokenCache

TOKEN_CACHE_SECONDS = 1.0  # a revoked token stops working within this long


@dataclass
class ServiceState:
    settings: Settings
    db: Database
    limiter: RateLimiter
    throttle: Throttle
    matcher: Any = None  # netsafe.web.matching.SharedMatcher, set by the app factory
    audit: Any = None  # netsafe.audit.writer.AuditWriter, set by the app factory
    summary: Any = None  # netsafe.audit.summary.AuditSummary over ``audit``, set by the app factory
    deterrence: Any = None  # netsafe.deterrence.checking.Checker, set by the app factory
    tokens: TokenCache = field(default_factory=lambda: TokenCache(TOKEN_CACHE_SECONDS))


def state_of(request: Request) -> ServiceState:
    return request.app.state.netsafe  # type: ignore[no-any-return]
