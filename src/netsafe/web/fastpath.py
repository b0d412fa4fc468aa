"""The busiest request, ``POST /api/v1/match`` with JSON signals and an API token, answered outside the
framework's middleware stack, routing and dependency resolution.

Platforms send this request for every upload they check; measured on one worker, FastAPI's per-request
routing and dependency solving cost more CPU than authenticating, searching a 1M-entry index and auditing
together, and the middleware layers around them another tenth of the request. This layer answers only the
case that succeeds (a valid token with the ``match`` permission, a well-formed body) with the same code the
endpoint uses (:func:`netsafe.web.api.matching.run_match_async`, over
:func:`netsafe.services.lookup.lookup_async`) and the same response; anything else (no
or bad token, a malformed body, a cookie session) is handed to the framework unchanged, body included, so
every error keeps its one definition there.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netsafe.accounts.roles import Permission
from netsafe.errors import NetsafeError
from netsafe.hashsets.formats.jsonguard import LONG_SCALAR, MAX_JSON_DEPTH
from netsafe.services.accounts import Principal
from netsafe.web.api.matching import options_for, run_match_async, signals_request
from netsafe.web.api.schemas import MatchSignalsIn
from netsafe.web.auth import RATE_CHECKED, principal_from_token, rate_limit
from netsafe.web.errors import ApiError, api_error_for, crash_response, error_response

MAX_JSON_BYTES = 64 * 1024  # a signals request is well under 1 KB; bigger ones take the framework's path
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


class FastPath:
    """Outside the framework's middleware stack (``app.NetsafeAPI``), inside the security headers: it applies
    what the stack's layers would to its own answers (the body limit, by never reading past ``max_bytes``;
    the JSON body guard, by handing over any body that might break it; the 500 for an unexpected error) and
    hands every request it does not answer to the whole stack.

    This class does what every fast path does before its endpoint's own work: the bearer token with
    ``permission`` (from the worker's token cache), the body, the rate. Subclasses answer in ``_respond``."""

    permission: Permission
    max_bytes: int = MAX_JSON_BYTES

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            handover = await self._answer(scope, receive, tracking_send)
        except Exception as err:
            if started:
                raise
            await crash_response(scope["method"], scope["path"], err)(scope, receive, send)
            return
        if handover is not None:
            await self.app(scope, handover, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answers and returns None, or returns the ``receive`` to hand the request over with."""
        content_type = authorization = declared = None
        for name, value in scope["headers"]:  # the first of repeated headers, as Starlette reads them
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"authorization" and authorization is None:
                authorization = value
            elif name == b"content-length" and declared is None:
                declared = value
        scheme, _, token = (authorization or b"").decode("latin-1").partition(" ")
        if (
            (content_type or b"").split(b";")[0].strip().lower() != b"application/json"
            or scheme.lower() != "bearer"
            or not token.strip()
            or (declared is not None and not (declared.isdigit() and int(declared) <= self.max_bytes))
        ):
            return receive
        # Who is asking before reading what they sent, as the framework does.
        principal = await principal_from_token(Request(scope, receive), token.strip())
        if principal is None or not principal.can(self.permission):
            return receive  # the framework's 401 or 403
        body, complete = await _read(receive, self.max_bytes)
        replay = _replayer(body, complete, receive)
        if not complete or len(body) > self.max_bytes:  # the last message can be big too (chunked bodies)
            return replay  # the stack's body limit counts it all
        if might_break_guard(body):
            return replay  # the stack's JSON guard words the refusal
        request = Request(scope, replay)
        try:
            rate_limit(request, principal)
        except ApiError as err:
            await send_error(err, scope, replay, send)
            return None
        request.state.principal = principal
        scope.setdefault("state", {})[RATE_CHECKED] = True  # counted once, whichever path answers
        return await self._respond(request, principal, body, replay, send)

    async def _respond(
        self, request: Request, principal: Principal, body: bytes, replay: Receive, send: Send
    ) -> Receive | None:
        raise NotImplementedError


def might_break_guard(body: bytes) -> bool:
    """Whether the JSON body guard (``web/jsonbody.py``) could refuse ``body``: more brackets than its depth
    limit, or a run of characters as long as its longest scalar. Its strings' limit is beyond any body a
    fast path reads. Running the guard itself costs 50-90 µs, more than a whole /check."""
    return body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH or LONG_SCALAR.search(body) is not None


class MatchFastPath(FastPath):
    permission = Permission.MATCH

    async def _respond(
        self, request: Request, principal: Principal, body: bytes, replay: Receive, send: Send
    ) -> Receive | None:
        scope = request.scope
        try:
            body_in = MatchSignalsIn.model_validate_json(body)
            query, dihedral = signals_request(body_in)
            options = options_for(request, body_in.hashsets, body_in.max_distance, dihedral)
        except (ValidationError, NetsafeError):
            return replay  # the framework's 422, worded in one place
        try:
            result = await run_match_async(request, principal, query, options)
        except ApiError as err:
            await send_error(err, scope, replay, send)
            return None
        except NetsafeError as err:  # an unknown hash set, the store unreachable: the kind's answer
            await send_error(api_error_for(err), scope, replay, send)
            return None
        response = Response(result.model_dump_json(), media_type="application/json")
        await response(scope, replay, send)
        return None


async def _read(receive: Receive, max_bytes: int) -> tuple[bytes, bool]:
    """The body, and whether it is all there (False: over ``max_bytes``, the rest still unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > max_bytes:
            return b"".join(chunks), False


def _replayer(body: bytes, complete: bool, receive: Receive) -> Receive:
    """``receive`` for whoever reads the request after us: what we read first, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replay


async def send_error(err: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(err.status, err.code, err.message, err.headers)(scope, receive, send)
