"""The FastAPI application: JSON API under /api/v1, HTML pages, static assets from the package."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netsafe import __version__
from netsafe.accounts.service import Principal, Throttle
from netsafe.audit.writer import AuditWriter
from netsafe.store.db import Database, open_database
from netsafe.web import docs_page
from netsafe.web.api import accounts as api_accounts
from netsafe.web.api import audit as api_audit
from netsafe.web.api import hashing as api_hashing
from netsafe.web.api import hashsets as api_hashsets
from netsafe.web.api import matching as api_matching
from netsafe.web.api import system as api_system
from netsafe.web.auth import LoginRequiredError, require_login
from netsafe.web.config import Settings, load_settings
from netsafe.web.errors import install as install_errors
from netsafe.web.fastpath import MatchFastPath
from netsafe.web.limits import BodyLimitMiddleware
from netsafe.web.matching import SharedMatcher
from netsafe.web.pages import routes as pages
from netsafe.web.pages.render import render_error, templates
from netsafe.web.ratelimit import RateLimiter
from netsafe.web.state import ServiceState

API = "/api/v1"
OPENAPI_URL = f"{API}/openapi.json"
DOCS_URL = f"{API}/docs"
STATIC = Path(__file__).with_name("static")

log = logging.getLogger("netsafe.web")

DESCRIPTION = """Match files and hashes against graded hash lists (MD5, SHA-1, SHA-256, PDQ, PhotoDNA).

Every endpoint except `GET /api/v1/health` needs an API token (`Authorization: Bearer nst_...`, created with
`netsafe token create`) or a signed-in web session. Errors are `{"error": {"code", "message"}}`."""


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    # blob: lets the match page show the person's own upload locally, never anything from elsewhere.
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]


class SecurityHeadersMiddleware:
    """Pure ASGI (BaseHTTPMiddleware costs a task and a queue per request on the matching path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = db or open_database(settings.database_url)
    state = ServiceState(
        settings=settings,
        db=db,
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        throttle=Throttle(
            max_failures_per_user=settings.login_max_failures,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            window=timedelta(seconds=settings.login_window_seconds),
        ),
    )
    state.matcher = SharedMatcher(db, settings.index_refresh_seconds)
    state.audit = AuditWriter(db)

    app = FastAPI(
        title="netsafe",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.netsafe = state
    if db.backend == "sqlite":
        # The store opens a SQLite connection per session; when the last one closes, SQLite checkpoints and
        # deletes the WAL (an fsync, ~30 ms a request). One connection held for the app's life avoids that.
        app.state.sqlite_keeper = db.engine.raw_connection()

    for module in (api_system, api_hashing, api_matching, api_hashsets, api_accounts, api_audit):
        app.include_router(module.router, prefix=API)

    @app.get(OPENAPI_URL, include_in_schema=False)
    def openapi_json(_: Principal = Depends(require_login())) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get(DOCS_URL, include_in_schema=False, response_class=HTMLResponse)
    def api_docs(_: Principal = Depends(require_login())) -> HTMLResponse:
        return docs_page.render(app, templates.env, OPENAPI_URL)

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    install_errors(app, render_error)

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, exc: LoginRequiredError) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=200, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    # Innermost, so the body limit and security headers apply to what it answers too.
    if settings.fast_match:
        app.add_middleware(MatchFastPath, path=f"{API}/match")
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_upload_bytes + 64 * 1024,
        max_import_bytes=settings.max_import_bytes + 64 * 1024,
    )
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn's factory for worker processes: settings come from NETSAFE_* (set by ``netsafe serve``)."""
    logging.basicConfig(level=logging.INFO)
    return create_app()


def openapi_document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()
