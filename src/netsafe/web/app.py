"""The FastAPI application: JSON API under /api/v1, HTML pages, static assets from the package."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from netsafe import __version__
from netsafe.audit.summary import AuditSummary
from netsafe.audit.writer import AuditWriter
from netsafe.deterrence.checking import Checker
from netsafe.services.accounts import Principal, Throttle
from netsafe.store.db import Database, open_database
from netsafe.web import deterrence_task, docs_page, monitor_task, quiet_paths
from netsafe.web.api import accounts as api_accounts
from netsafe.web.api import audit as api_audit
from netsafe.web.api import cases as api_cases
from netsafe.web.api import deterrence as api_deterrence
from netsafe.web.api import hashing as api_hashing
from netsafe.web.api import hashsets as api_hashsets
from netsafe.web.api import hotline as api_hotline
from netsafe.web.api import matching as api_matching
from netsafe.web.api import remove as api_remove
from netsafe.web.api import review as api_review
from netsafe.web.api import scan_start as api_scan_start
from netsafe.web.api import stats as api_stats
from netsafe.web.api import system as api_system
from netsafe.web.api import thumbnails as api_thumbnails
from netsafe.web.auth import LoginRequiredError, page_principal, require_login
from netsafe.web.checkpath import CheckFastPath
from netsafe.web.config import Settings, load_settings, trusted_proxies
from netsafe.web.errors import install as install_errors
from netsafe.web.errors import withhold_exception_text
from netsafe.web.fastpath import MatchFastPath
from netsafe.web.headers import SecurityHeadersMiddleware
from netsafe.web.jsonbody import JsonBodyGuardMiddleware
from netsafe.web.limits import BodyLimitMiddleware
from netsafe.web.matching import SharedMatcher
from netsafe.web.pages import remove_public, report_public
from netsafe.web.pages import routes as pages
from netsafe.web.pages.render import render_error, templates
from netsafe.web.ratelimit import limiter_for
from netsafe.web.state import ServiceState

API = "/api/v1"
OPENAPI_URL = f"{API}/openapi.json"
DOCS_URL = f"{API}/docs"
STATIC = Path(__file__).with_name("static")

log = logging.getLogger("netsafe.web")

DESCRIPTION = """Match files and hashes against graded hash lists (MD5, SHA-1, SHA-256, PDQ, PhotoDNA).

Every endpoint except `GET /api/v1/health` needs an API token (`Authorization: Bearer nst_...`, created with
`netsafe token create`) or a signed-in web session. Errors are `{"error": {"code", "message"}}`."""


class NetsafeAPI(FastAPI):
    """FastAPI with two layers outside its middleware stack.

    Security headers go outermost, so that every response gets them, the framework's own 500 included.
    Inside them, the fast paths of /match (``web/fastpath.py``) and /deterrence/check (``web/checkpath.py``):
    measured on one worker, the stack's layers (error catching, body limit, FastAPI's own) cost about a tenth
    of a /match request and most of a /check, so the fast paths apply the limits and the 500 themselves and
    hand every request they do not answer to the whole stack."""

    fast_path: Callable[[ASGIApp], ASGIApp] | None = None
    trusted_proxies: list[str] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.fast_path is not None:
            stack = self.fast_path(stack)
        outer: ASGIApp = SecurityHeadersMiddleware(stack)
        if self.trusted_proxies:
            # Outermost, so that every layer (the fast path's audit included) sees the same client. Here and
            # not in uvicorn (``netsafe serve`` turns uvicorn's off): one rule, under any ASGI server.
            outer = cast(ASGIApp, ProxyHeadersMiddleware(cast(Any, outer), self.trusted_proxies))
        return outer


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = db or open_database(settings.database_url)
    state = ServiceState(
        settings=settings,
        db=db,
        limiter=limiter_for(settings.rate_limit_per_minute, settings.rate_limit_burst),
        throttle=Throttle(
            max_failures_per_user=settings.login_max_failures,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            window=timedelta(seconds=settings.login_window_seconds),
        ),
    )
    state.matcher = SharedMatcher(db, settings.index_refresh_seconds)
    state.audit = AuditWriter(db)
    state.deterrence = Checker(db, settings.deterrence.refresh_seconds)
    state.summary = AuditSummary(state.audit.post, settings.audit_summary_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        monitoring = (
            asyncio.create_task(monitor_task.run_forever(db, settings))
            if settings.hotline.monitor_in_service
            else None
        )
        flushing = asyncio.create_task(deterrence_task.flush_forever(state.deterrence))
        yield
        flushing.cancel()
        if monitoring is not None:
            monitoring.cancel()
        state.scans.shutdown()  # a scan started from the pages stops between two items, resumable
        # The counts of summarised events still in their window, then everything handed to the writer.
        state.summary.flush()
        try:
            await asyncio.to_thread(state.deterrence.flush)
        except Exception as err:
            log.warning("deterrence counts at shutdown were not written: %s", type(err).__name__)
        try:
            await asyncio.to_thread(state.audit.drain, 10.0)
        except Exception as err:
            log.warning("audit events at shutdown were not all written: %s", type(err).__name__)
        try:
            await asyncio.to_thread(state.audit.close)
        except Exception as err:  # they stay in the journal, replayed by the next start
            log.warning("audit journal left for the next start to replay: %s", type(err).__name__)

    app = NetsafeAPI(
        lifespan=lifespan,
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

    for module in (
        api_system,
        api_hashing,
        api_matching,
        api_hashsets,
        api_accounts,
        api_audit,
        api_cases,
        api_hotline,
        api_stats,
        api_deterrence,
        api_review,
        api_scan_start,
        api_thumbnails,
        api_remove,
    ):
        app.include_router(module.router, prefix=API)

    @app.get(OPENAPI_URL, include_in_schema=False)
    def openapi_json(_: Principal = Depends(require_login())) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get(DOCS_URL, include_in_schema=False, response_class=HTMLResponse)
    def api_docs(_: Principal = Depends(require_login())) -> HTMLResponse:
        return docs_page.render(app, templates.env, OPENAPI_URL)

    app.include_router(pages.router)
    app.include_router(report_public.router)
    app.include_router(remove_public.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    install_errors(app, render_error, page_principal)
    withhold_exception_text(logging.getLogger("uvicorn.error"))  # where uvicorn logs what escaped the app
    quiet_paths.install()  # no address of a young person (or a reporter) in the access log

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, exc: LoginRequiredError) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=200, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    app.trusted_proxies = trusted_proxies(settings)
    fast_paths: list[Callable[[ASGIApp], ASGIApp]] = []
    if settings.fast_check:
        fast_paths.append(lambda stack: CheckFastPath(stack, path=f"{API}/deterrence/check"))
    if settings.fast_match:
        fast_paths.append(lambda stack: MatchFastPath(stack, path=f"{API}/match"))
    if fast_paths:
        app.fast_path = lambda stack: functools.reduce(lambda inner, wrap: wrap(inner), fast_paths, stack)
    app.add_middleware(JsonBodyGuardMiddleware)  # inside the body limit, which counts the bytes first
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
