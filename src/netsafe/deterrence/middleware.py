"""An ASGI middleware a platform drops into its own Python web app (Starlette, FastAPI, Django's ASGI...):
a GET whose search parameter matches the keyword list is answered with the warning page instead of the
app's results, and ``<prefix>/help/{variant}/{link}`` is the counting redirect to help.

    from netsafe.deterrence.middleware import DeterrenceMiddleware
    app = DeterrenceMiddleware(app, database_url="postgresql://...", parameter="q", paths=["/search"])

Nothing of the request is kept: the check, the warning and the click are counted per entry, variant and
day, as everywhere else. A search is checked on the event loop against the lists in memory (a dictionary
or automaton lookup, microseconds: a thread hop would cost more than the check); the store is read and
written only in worker threads, the lists re-read at most every ``refresh_seconds`` and the counts written
together at least that often (a task started with the first search writes them when nobody searches).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netsafe.deterrence import checking, counting, warning
from netsafe.deterrence.settings import DeterrenceSettings
from netsafe.errors import InvalidInput
from netsafe.store.db import Database, open_database

MIN_PAUSE = 0.05  # a flush_seconds of 0 (tests: write at once) must not spin
HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    # Nothing to load: no script, no style, no image, from anywhere.
    (b"content-security-policy", b"default-src 'none'; form-action 'none'; frame-ancestors 'none'"),
]


class DeterrenceMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        database_url: str | None = None,
        db: Database | None = None,
        settings: DeterrenceSettings | None = None,
        parameter: str | None = None,
        paths: Sequence[str] | None = None,
        prefix: str = "/warning",
    ) -> None:
        self.app = app
        self.settings = settings or DeterrenceSettings()
        self.db = db or open_database(database_url)
        self.checker = checking.Checker(self.db, self.settings.refresh_seconds)
        self.parameter = parameter or self.settings.search_parameter
        self.paths = tuple(paths) if paths else None  # None: every path
        self.prefix = prefix.rstrip("/")
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._flushing_at_shutdown(receive), send)
            return
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        # Percent-encoded UTF-8, as browsers send it; raw bytes that are not UTF-8 cannot be a listed term.
        params = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"), keep_blank_values=False)
        if path.startswith(self.prefix + "/help/"):
            await self._help(path[len(self.prefix) + 6 :], params, send)
            return
        if self.paths is not None and path not in self.paths:
            await self.app(scope, receive, send)
            return
        query = (params.get(self.parameter) or [None])[0]
        if not query:
            await self.app(scope, receive, send)
            return
        self._start_flusher()
        found = self.checker.current_nowait()
        if found is None:
            found = await anyio.to_thread.run_sync(self.checker.current)
        try:
            answer = checking.answer(found, query=query)
        except InvalidInput:  # a query too long to check is the app's to answer
            await self.app(scope, receive, send)
            return
        today = datetime.now(UTC).date()
        self.checker.tally.add(answer["entry_id"] or counting.NO_ENTRY, "", today, "checks")
        if not answer["blocked"]:
            await self._flush_if_due()
            await self.app(scope, receive, send)
            return
        accept = dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
        lang = warning.pick_language(self.settings, None, accept)
        variant = warning.pick_variant(self.settings)
        shown = warning.render(self.settings, lang, variant, answer["entry_id"], self.prefix)
        self.checker.tally.add(answer["entry_id"], variant, today, "warnings")
        await self._flush_if_due()
        body = shown.html.encode()
        await send({"type": "http.response.start", "status": 200, "headers": [*HEADERS, _length(body)]})
        await send({"type": "http.response.body", "body": body})

    async def _help(self, rest: str, params: dict[str, list[str]], send: Send) -> None:
        variant, _, link = rest.partition("/")
        target = warning.help_target(self.settings, variant, link)
        if target is None:
            await send({"type": "http.response.start", "status": 404, "headers": HEADERS[1:2]})
            await send({"type": "http.response.body", "body": b""})
            return
        entry = _entry((params.get("e") or [""])[0])
        await anyio.to_thread.run_sync(lambda: checking.count_help(self.db, self.checker, entry, variant))
        headers = [(b"location", target.encode()), *HEADERS[1:4], (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _flush_if_due(self) -> None:
        if self.checker.tally.claim_flush():
            await anyio.to_thread.run_sync(self.checker.flush_quietly)

    def _start_flusher(self) -> None:
        """The app's lifespan is the app's own: the flusher starts with the first search instead."""
        running = asyncio.get_running_loop()
        if self._flusher is None or self._flusher.done() or self._flusher.get_loop() is not running:
            self._flusher = running.create_task(self._flush_forever())

    def _flushing_at_shutdown(self, receive: Receive) -> Receive:
        """The counts still in memory are written when the server shuts the app down cleanly."""

        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                if self._flusher is not None:
                    self._flusher.cancel()
                await anyio.to_thread.run_sync(self.checker.flush_quietly)
            return message

        return wrapped

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(min(max(self.checker.tally.flush_seconds, MIN_PAUSE), 1.0))
            await self._flush_if_due()


def _entry(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _length(body: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", str(len(body)).encode())
