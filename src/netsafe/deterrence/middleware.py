"""An ASGI middleware a platform drops into its own Python web app (Starlette, FastAPI, Django's ASGI...):
a GET whose search parameter matches the keyword list is answered with the warning page instead of the
app's results, and ``<prefix>/help/{variant}/{link}`` is the counting redirect to help.

    from netsafe.deterrence.middleware import DeterrenceMiddleware
    app = DeterrenceMiddleware(app, database_url="postgresql://...", parameter="q", paths=["/search"])

Nothing of the request is kept: the check, the warning and the click are counted per entry, variant and
day, as everywhere else. The store's calls run in a worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from netsafe.deterrence import checking, warning
from netsafe.deterrence.settings import DeterrenceSettings
from netsafe.errors import InvalidInput
from netsafe.store.db import Database, open_database

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        try:
            answer = await anyio.to_thread.run_sync(
                lambda: checking.check(self.db, self.checker, query=query)
            )
        except InvalidInput:  # a query too long to check is the app's to answer
            await self.app(scope, receive, send)
            return
        if not answer["blocked"]:
            await self.app(scope, receive, send)
            return
        accept = dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
        lang = warning.pick_language(self.settings, None, accept)
        variant = warning.pick_variant(self.settings)
        shown = warning.render(self.settings, lang, variant, answer["entry_id"], self.prefix)
        await anyio.to_thread.run_sync(
            lambda: checking.count_shown(self.db, self.checker, answer["entry_id"], variant)
        )
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


def _entry(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _length(body: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", str(len(body)).encode())
