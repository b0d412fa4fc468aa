"""``POST /api/v1/deterrence/check`` answered outside the framework's middleware stack, routing and
dependency resolution, as ``/match`` is (``web/fastpath.py``).

Platforms and ISPs send this request for each URL or search they check, and the issue's target is a p99
under 2 ms at 50 clients. Profiled in-process, the framework's route cost several times the check itself:
the middleware layers, matching the path against every route, solving the dependencies, and a thread hop
for the synchronous endpoint. Here the check runs on the event loop: the lists are in memory (re-read in a
thread, never by a waiting request, once loaded), the count goes into the in-memory tally, and the tally is
written in a thread when due, which no request waits for (and by the app's flusher, ``deterrence_task.py``,
when nobody asks). Only the case that succeeds is answered here (a token with ``deterrence``, a well-formed
body, a URL or a query that can be checked); anything else goes to the framework unchanged, body included,
so every error keeps its one wording there. Nothing about the caller is kept: the answer names the entry,
never echoes what was asked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Send

from netsafe.accounts.roles import Permission
from netsafe.deterrence import checking, counting
from netsafe.errors import NetsafeError
from netsafe.services.accounts import Principal
from netsafe.web.api.deterrence import CheckIn
from netsafe.web.fastpath import FastPath
from netsafe.web.state import state_of

# A url is at most 2048 characters and a query 1000: even written all in \u escapes, under 13 KB.
MAX_CHECK_BYTES = 16 * 1024
_JSON = [(b"content-type", b"application/json")]
_FLUSHES: set[asyncio.Task[None]] = set()


class CheckFastPath(FastPath):
    permission = Permission.DETERRENCE
    max_bytes = MAX_CHECK_BYTES

    async def _respond(
        self, request: Request, principal: Principal, body: bytes, replay: Receive, send: Send
    ) -> Receive | None:
        try:
            asked = CheckIn.model_validate_json(body)
        except ValidationError:
            return replay  # the framework's 422
        checker: checking.Checker = state_of(request).deterrence
        found = checker.current_nowait()
        if found is None:
            found = await run_in_threadpool(checker.current)
        try:
            result = checking.answer(found, asked.url, asked.query)
        except NetsafeError:
            return replay  # neither or both given, not a web address: worded by the framework's route
        day = datetime.now(UTC).date()
        checker.tally.add(result["entry_id"] or counting.NO_ENTRY, "", day, "checks")
        if checker.tally.claim_flush():
            if checker.tally.flush_seconds > 0:
                _flush_behind(checker)
            else:  # written before the answer (tests)
                await run_in_threadpool(checker.flush_quietly)
        content = _encode(result)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(content)).encode()), *_JSON],
            }
        )
        await send({"type": "http.response.body", "body": content})
        return None


def _flush_behind(checker: checking.Checker) -> None:
    """Start the flush without the request waiting for it: a few thousand cells take 50-100 ms on a loaded
    machine, which the one request that found the flush due would otherwise add to its answer. In the
    default executor, which the server's event loop waits for when it shuts down."""
    task = asyncio.get_running_loop().create_task(asyncio.to_thread(checker.flush_quietly))
    _FLUSHES.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_FLUSHES.discard)


def _encode(result: dict[str, Any]) -> bytes:
    """The route's JSON (``CheckOut``), written out: four fields, an int and fixed words only."""
    entry = result["entry_id"]
    if entry is None:
        return b'{"blocked":false,"kind":null,"entry_id":null,"warning_url":null}'
    return b'{"blocked":true,"kind":"%s","entry_id":%d,"warning_url":"%s"}' % (
        result["kind"].encode(),
        entry,
        result["warning_url"].encode(),
    )
