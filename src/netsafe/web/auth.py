"""Who is asking and may they: bearer tokens for machines, cookie sessions (with CSRF) for people.

Every route declares the one permission it needs through :func:`require` (or :func:`require_page` for HTML
pages); the table-driven test in tests/web/test_authorisation.py walks every route of the app.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor
from netsafe.services.accounts import Principal, token_principal, web_session_principal
from netsafe.store.db import Database
from netsafe.web.errors import ApiError
from netsafe.web.state import state_of

SESSION_COOKIE = "netsafe_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer nst_...`")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A web session (pages)")


class LoginRequiredError(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def actor_of(request: Request, principal: Principal | None) -> Actor:
    return Actor(principal.label if principal else "anonymous", client_ip(request))


# GET requests needing these permissions read hash sets, users and tokens, or the audit log: each is audited,
# summarised per (client, actor, path) like refusals (audit/summary.py, docs/service.md).
AUDITED_READS = {
    Permission.HASHSETS_READ: "hashset.read",
    Permission.ADMIN: "admin.read",
    Permission.AUDIT_READ: "audit.read",
}
READ_METHODS = frozenset({"GET", "HEAD"})
MAX_PATH = 200


def audit_denied(request: Request, status: int, reason: str, principal: Principal | None = None) -> None:
    """Audit a refused request, summarised per (client, actor, reason): refusals cost an attacker nothing,
    so they must not grow the log (or the hot path) by one event each."""
    actor = actor_of(request, principal)
    path = request.url.path[:MAX_PATH]
    state_of(request).summary.note(
        ("denied", actor.ip, actor.name, reason),
        actor,
        "access.denied",
        path,
        {"status": status, "reason": reason, "method": request.method},
        "denied",
    )


def audit_read(request: Request, principal: Principal, permission: Permission | None) -> None:
    action = AUDITED_READS.get(permission) if permission is not None else None
    if action is None or request.method not in READ_METHODS:
        return
    actor = actor_of(request, principal)
    path = request.url.path[:MAX_PATH]
    state_of(request).summary.note(
        ("read", actor.ip, actor.name, path), actor, action, path, {"method": request.method}
    )


def is_loopback_http(request: Request) -> bool:
    if request.url.scheme == "https":
        return False
    try:
        return ipaddress.ip_address(request.url.hostname or "").is_loopback
    except ValueError:
        return request.url.hostname == "localhost"


def cookie_secure(request: Request) -> bool:
    mode = state_of(request).settings.cookie_secure
    if mode == "auto":
        return not is_loopback_http(request)
    return mode == "true"


async def principal_from_token(request: Request, token: str) -> Principal | None:
    """The token's principal (None if unknown, expired or revoked), cached per worker for a second."""
    state = state_of(request)
    key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    db = state.db
    return await state.tokens.get(key, lambda: run_in_threadpool(_lookup_token, db, token))


def _lookup_token(db: Database, token: str) -> Principal | None:
    with db.sessions() as session:
        return token_principal(session, token)


def _from_cookie(request: Request, key: str) -> Principal | None:
    with state_of(request).db.sessions() as session:
        return web_session_principal(session, key)


async def page_principal(request: Request) -> None:
    """Who is signed in, for an error page no route rendered (a 404 for an unknown address), so the page
    keeps its navigation. Never raises: an unknown session just means signed out."""
    if "principal" in request.state._state:
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(_from_cookie, request, cookie) if cookie else None
    request.state.principal = principal


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal | None:
    """The principal, or None when the request carries no credentials. Bad credentials are a 401."""
    if "principal" in request.state._state:
        return request.state.principal  # type: ignore[no-any-return]
    # Async with the database only on a cache miss (in a thread): the matching path makes no thread hop here.
    principal: Principal | None = None
    if bearer is not None:
        principal = await principal_from_token(request, bearer.credentials)
        if principal is None:
            audit_denied(request, 401, "invalid token")
            raise ApiError(401, "invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})
    elif cookie:
        principal = await run_in_threadpool(_from_cookie, request, cookie)
    request.state.principal = principal
    return principal


def check_csrf(request: Request, principal: Principal, form_token: str | None = None) -> None:
    """Cookie-authenticated changes must prove they come from our own page."""
    if principal.token_id is not None or request.method in SAFE_METHODS:
        return
    sent = form_token or request.headers.get(CSRF_HEADER) or ""
    expected = principal.csrf_token or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        audit_denied(request, 403, "csrf", principal)
        raise ApiError(403, "missing or wrong CSRF token: reload the page and try again", code="csrf")


RATE_CHECKED = "netsafe_rate_checked"  # request state key: this request was counted already


def rate_limit(request: Request, principal: Principal) -> None:
    """Count the request against its token's (or user's) rate; 429 when over it."""
    if request.scope.get("state", {}).get(RATE_CHECKED):
        return
    state = state_of(request)
    key = f"t{principal.token_id}" if principal.token_id is not None else f"u{principal.user_id}"
    wait = state.limiter.take(key)
    if wait > 0:
        raise ApiError(
            429, f"rate limit exceeded: retry in {wait:.1f} s", headers={"Retry-After": str(int(wait) + 1)}
        )


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """API dependency: 401 without credentials, 403 without ``permission``, 429 over the rate."""

    async def dependency(
        request: Request, principal: Annotated[Principal | None, Depends(current_principal)]
    ) -> Principal:
        if principal is None:
            audit_denied(request, 401, "no credentials")
            raise ApiError(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
        if not principal.can(permission):
            audit_denied(request, 403, f"lacks {permission.value}", principal)
            raise ApiError(403, f"this needs the {permission.value!r} permission")
        if request.url.path.startswith("/api/"):
            check_csrf(request, principal)
        rate_limit(request, principal)
        audit_read(request, principal, permission)
        return principal

    dependency.required_permission = permission  # type: ignore[attr-defined]
    return dependency


def require_login() -> Callable[..., Awaitable[Principal]]:
    """API dependency for any signed-in principal, whatever it may do."""

    async def dependency(
        request: Request, principal: Annotated[Principal | None, Depends(current_principal)]
    ) -> Principal:
        if principal is None:
            audit_denied(request, 401, "no credentials")
            raise ApiError(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
        rate_limit(request, principal)
        return principal

    dependency.required_permission = None  # type: ignore[attr-defined]
    return dependency


def require_page(permission: Permission | None) -> Callable[..., Awaitable[Principal]]:
    """Page dependency: redirect to the login page without a session; 403 page without ``permission``."""

    async def dependency(
        request: Request, principal: Annotated[Principal | None, Depends(current_principal)]
    ) -> Principal:
        if principal is None or principal.session_id is None:
            raise LoginRequiredError(request.url.path)
        if permission is not None and not principal.can(permission):
            audit_denied(request, 403, f"lacks {permission.value}", principal)
            raise ApiError(403, "your role does not allow this page")
        rate_limit(request, principal)
        audit_read(request, principal, permission)
        return principal

    dependency.required_permission = permission  # type: ignore[attr-defined]
    return dependency
