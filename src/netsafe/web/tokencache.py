"""A worker's cache of API tokens: who a token belongs to, re-read from the store at most every second.

Every request with a token needs its principal; reading the store each time costs a thread hop and a query.
Cached entries expire ``ttl`` seconds after the lookup that made them, so a revoked token stops working within
that long. Under steady traffic the first request past half the ttl starts one lookup in the background while
it and the others go on with the cached entry; nobody waits for the store. Only a token not seen for a whole
ttl is looked up in the request, and then once: every request for it awaits the same lookup (measured before
this: fifty concurrent clients with one token all missed at each expiry and queued fifty lookups behind one
another, the largest part of /match's p99).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from netsafe.services.accounts import Principal

Lookup = Callable[[], Awaitable[Principal | None]]

MAX_ENTRIES = 10_000  # a flood of made-up tokens must not grow the worker without bound


@dataclass(slots=True)
class _Entry:
    looked_up: float
    principal: Principal | None


class TokenCache:
    def __init__(self, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._pending: dict[str, asyncio.Future[Principal | None]] = {}
        self._refreshing: set[asyncio.Task[None]] = set()

    async def get(self, key: str, lookup: Lookup) -> Principal | None:
        """The principal for ``key`` (a digest of the token), from the cache or from ``lookup()``."""
        entry = self._entries.get(key)
        now = self._clock()
        pending = self._pending.get(key)
        if pending is not None and pending.get_loop() is not asyncio.get_running_loop():
            pending = None  # left by a loop that has closed (a test client's): that lookup will never end
        if entry is not None:
            age = now - entry.looked_up
            if age < self.ttl:
                if age >= self.ttl / 2 and pending is None:
                    self._start(key, lookup)
                return entry.principal
        if pending is None:
            pending = self._start(key, lookup)
        # shield: one caller giving up (a client gone) must not cancel the lookup the others await.
        return await asyncio.shield(pending)

    def _start(self, key: str, lookup: Lookup) -> asyncio.Future[Principal | None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Principal | None] = loop.create_future()
        self._pending[key] = future
        started = self._clock()

        async def run() -> None:
            principal = await lookup()
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(started, principal)
            future.set_result(principal)

        def finished(task: asyncio.Task[None]) -> None:
            # Also when the task was cancelled before it ever ran, or failed: nobody may wait forever.
            if self._pending.get(key) is future:
                del self._pending[key]
            if future.done():
                return
            if task.cancelled():
                future.cancel()
                return
            err = task.exception()
            if err is not None:
                future.set_exception(err)
                # Retrieved here so that an error nobody waits for any more (a background refresh, a caller
                # gone) is not logged whole by asyncio: a store error's text can carry SQL and parameters.
                future.exception()

        task = loop.create_task(run())
        self._refreshing.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._refreshing.discard)
        task.add_done_callback(finished)
        return future
