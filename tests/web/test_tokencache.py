"""The token cache: one lookup per token at a time, refreshed ahead of expiry, revoked within the ttl."""

from __future__ import annotations

import asyncio
import logging

import pytest

from netsafe.accounts.roles import Permission, Role
from netsafe.services.accounts import Principal
from netsafe.web.tokencache import MAX_ENTRIES, TokenCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Store:
    """A token store whose lookups take until ``release`` is set, and count themselves."""

    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal
        self.lookups = 0
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None

    async def lookup(self) -> Principal | None:
        self.lookups += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return self.principal


def _alice() -> Principal:
    return Principal(
        user_id=1, username="alice", role=Role.ANALYST, permissions=frozenset({Permission.MATCH})
    )


def test_concurrent_misses_share_one_lookup() -> None:
    async def scenario() -> None:
        cache = TokenCache(1.0, Clock())
        store = Store(_alice())
        store.release.clear()
        waiting = [asyncio.ensure_future(cache.get("k", store.lookup)) for _ in range(50)]
        await asyncio.sleep(0.01)
        store.release.set()
        results = await asyncio.gather(*waiting)
        assert store.lookups == 1
        assert all(r is not None and r.username == "alice" for r in results)

    asyncio.run(scenario())


def test_fresh_entries_are_served_without_a_lookup() -> None:
    async def scenario() -> None:
        clock = Clock()
        cache = TokenCache(1.0, clock)
        store = Store(_alice())
        await cache.get("k", store.lookup)
        clock.now += 0.4
        for _ in range(10):
            assert await cache.get("k", store.lookup) is not None
        assert store.lookups == 1

    asyncio.run(scenario())


def test_past_half_the_ttl_one_background_lookup_refreshes_while_requests_go_on() -> None:
    async def scenario() -> None:
        clock = Clock()
        cache = TokenCache(1.0, clock)
        store = Store(_alice())
        await cache.get("k", store.lookup)
        clock.now += 0.6
        store.release.clear()  # the refresh hangs: requests must not wait for it
        store.principal = None  # meanwhile the token was revoked
        for _ in range(20):
            assert await asyncio.wait_for(cache.get("k", store.lookup), 0.5) is not None
        assert store.lookups == 2  # one refresh, however many requests
        store.release.set()
        await asyncio.sleep(0.01)
        assert await cache.get("k", store.lookup) is None  # the refresh saw the revocation
        assert store.lookups == 2

    asyncio.run(scenario())


def test_a_revoked_token_stops_working_within_the_ttl_even_without_traffic() -> None:
    async def scenario() -> None:
        clock = Clock()
        cache = TokenCache(1.0, clock)
        store = Store(_alice())
        await cache.get("k", store.lookup)
        store.principal = None
        clock.now += 1.0  # no request in between, so no refresh ahead: this one must look up
        assert await cache.get("k", store.lookup) is None
        assert store.lookups == 2

    asyncio.run(scenario())


def test_a_failed_lookup_reaches_every_waiter_and_the_next_request_retries() -> None:
    async def scenario() -> None:
        cache = TokenCache(1.0, Clock())
        store = Store(_alice())
        store.fail = RuntimeError("store down")
        store.release.clear()
        waiting = [asyncio.ensure_future(cache.get("k", store.lookup)) for _ in range(5)]
        await asyncio.sleep(0.01)
        store.release.set()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        store.fail = None
        assert await cache.get("k", store.lookup) is not None
        assert store.lookups == 2

    asyncio.run(scenario())


def test_a_failed_background_refresh_keeps_serving_until_the_ttl() -> None:
    async def scenario() -> None:
        clock = Clock()
        cache = TokenCache(1.0, clock)
        store = Store(_alice())
        await cache.get("k", store.lookup)
        clock.now += 0.7
        store.fail = RuntimeError("store down")
        assert await cache.get("k", store.lookup) is not None
        await asyncio.sleep(0.01)  # the refresh fails in the background, unobserved
        assert await cache.get("k", store.lookup) is not None
        clock.now += 0.3
        with pytest.raises(RuntimeError):
            await cache.get("k", store.lookup)

    asyncio.run(scenario())


def test_one_waiter_cancelled_does_not_cancel_the_lookup_for_the_others() -> None:
    async def scenario() -> None:
        cache = TokenCache(1.0, Clock())
        store = Store(_alice())
        store.release.clear()
        first = asyncio.ensure_future(cache.get("k", store.lookup))
        second = asyncio.ensure_future(cache.get("k", store.lookup))
        await asyncio.sleep(0.01)
        first.cancel()
        await asyncio.sleep(0.01)
        store.release.set()
        assert (await second) is not None
        assert store.lookups == 1

    asyncio.run(scenario())


def test_the_cache_stays_bounded_under_a_flood_of_made_up_tokens() -> None:
    async def scenario() -> None:
        cache = TokenCache(1.0, Clock())
        store = Store(None)
        for i in range(MAX_ENTRIES + 10):
            await cache.get(f"k{i}", store.lookup)
        assert len(cache._entries) <= MAX_ENTRIES

    asyncio.run(scenario())


def test_a_lookup_left_pending_by_a_closed_loop_does_not_block_the_next_loop() -> None:
    cache = TokenCache(1.0, Clock())
    stuck = Store(_alice())
    stuck.release.clear()  # never answers

    left: list[asyncio.Future[Principal | None]] = []

    async def abandoned() -> None:
        left.append(asyncio.ensure_future(cache.get("k", stuck.lookup)))
        await asyncio.sleep(0.01)

    old = asyncio.new_event_loop()
    old.run_until_complete(abandoned())
    old.close()  # closed with the lookup still pending, as a stopped test client's loop can be

    async def next_loop() -> None:
        store = Store(_alice())
        assert await asyncio.wait_for(cache.get("k", store.lookup), 2) is not None
        assert store.lookups == 1

    asyncio.run(next_loop())


def test_a_lookup_failing_after_its_only_caller_left_is_not_logged_whole(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        cache = TokenCache(1.0, Clock())
        store = Store(_alice())
        store.fail = RuntimeError("SELECT ... secret parameters")
        store.release.clear()
        caller = asyncio.ensure_future(cache.get("k", store.lookup))
        await asyncio.sleep(0.01)
        caller.cancel()
        store.release.set()
        await asyncio.sleep(0.01)
        assert not cache._pending  # the failed lookup is gone: the next request tries again

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(scenario())
        import gc

        gc.collect()  # "exception was never retrieved" is logged when the future is collected
    assert "secret parameters" not in caplog.text


def test_a_lookup_cancelled_before_it_ran_releases_its_waiters() -> None:
    async def scenario() -> None:
        cache = TokenCache(1.0, Clock())
        store = Store(_alice())
        waiter = asyncio.ensure_future(cache.get("k", store.lookup))
        await asyncio.sleep(0)  # the waiter has started the lookup task, which has not run yet
        for task in list(cache._refreshing):
            task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(waiter, 2)
        assert not cache._pending

    asyncio.run(scenario())
