"""Request body size limit, enforced while the body streams in (a missing or lying Content-Length is no way
round it)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netsafe.web.errors import error_response


class BodyTooLargeError(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, max_import_bytes: int | None = None) -> None:
        self.app = app
        self.default_max = max_bytes
        self.import_max = max_import_bytes or max_bytes

    def limit_for(self, path: str) -> int:
        # Hash-list imports are legitimately large; everything else is one file or a form.
        return self.import_max if path.endswith("/import") else self.default_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._reject(scope, receive, send, limit)
                    return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"request body over the limit of {limit} bytes"
        await error_response(413, "too_large", message)(scope, receive, send)
