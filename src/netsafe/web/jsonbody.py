"""The shape of JSON request bodies, checked while they stream in, before the framework parses them.

Issue 18: every JSON reader gets a depth limit with a one-line error. ``json.loads`` recurses once per
level and the framework turns the ``RecursionError`` into a vague 400 after buffering the whole body; a
20 MB string is buffered, copied and parsed before pydantic refuses it. The hash lists' own guard
(:class:`netsafe.hashsets.formats.jsonguard.JsonGuard`) works on a stream in chunks, so it runs here on
each chunk as it arrives: a body breaking a limit (64 levels, a 64 KiB string, a 256-character number) is
refused at the chunk that breaks it. No API field needs more: the longest, an entry's comments, is 10,000
characters.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netsafe.hashsets.formats.jsonguard import JsonGuard, JsonLimitError
from netsafe.textsafe import readable

_JSON_TYPES = (b"application/json",)


def is_json(scope: Scope) -> bool:
    """True when the framework would parse this request's body as JSON (its content type says so)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media in _JSON_TYPES or (media.startswith(b"application/") and media.endswith(b"+json"))
    return False


def refusal(err: JsonLimitError) -> str:
    field = err.field_at(0)  # no object's own key sits at depth 0: the last key before the break
    where = f" in {readable(field[:40])!r}" if field else ""
    return f"JSON body refused at byte {err.offset}{where}: {err.message}"


class JsonBodyGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json(scope):
            await self.app(scope, receive, send)
            return
        guard = JsonGuard()

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and message.get("body"):
                try:
                    guard.feed(message["body"])
                except JsonLimitError as err:
                    # The framework passes an HTTPException raised while it reads the body on to the app's
                    # error handlers (any other exception becomes its generic 400).
                    raise HTTPException(422, refusal(err)) from None
            return message

        await self.app(scope, guarded_receive, send)
