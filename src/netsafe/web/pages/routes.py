"""HTML pages. Forms work without JavaScript; htmx (served from /static) makes the match page update in
place. Every state-changing form carries the session's CSRF token."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from netsafe.accounts.passwords import PasswordPolicyError
from netsafe.accounts.roles import ROLE_HELP, Permission, Role, RoleError, parse_scopes
from netsafe.audit.service import AuditFilter, as_dict, search
from netsafe.errors import InvalidInput, NotFound
from netsafe.services import auditlog
from netsafe.services.accounts import (
    AccountError,
    LoginThrottledError,
    Principal,
    add_user,
    authenticate,
    create_token,
    create_web_session,
    list_tokens,
    list_users,
    revoke_token,
    set_disabled,
    sign_out,
)
from netsafe.services.hashsets import list_sets
from netsafe.services.lookup import MAX_DISTANCE, LookupResult, distance_from_text, typed_queries
from netsafe.web.api.audit import LOCK_WAIT, utc
from netsafe.web.api.matching import match_upload, options_for, run_match
from netsafe.web.auth import (
    SESSION_COOKIE,
    actor_of,
    audit_denied,
    check_csrf,
    client_ip,
    cookie_secure,
    require_page,
)
from netsafe.web.errors import ApiError, status_for
from netsafe.web.pages import cases as case_pages
from netsafe.web.pages import deterrence as deterrence_pages
from netsafe.web.pages import hashsets as hashset_pages
from netsafe.web.pages import hotline as hotline_pages
from netsafe.web.pages import remove as remove_pages
from netsafe.web.pages import review as review_pages
from netsafe.web.pages import scans as scan_pages
from netsafe.web.pages import stats as stats_pages
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "netsafe_login_csrf"

MATCHER = Depends(require_page(Permission.MATCH))
ADMIN = Depends(require_page(Permission.ADMIN))
AUDITOR = Depends(require_page(Permission.AUDIT_READ))
ANYONE = Depends(require_page(None))


def _safe_next(target: str | None) -> str:
    # Only our own paths: never an open redirect to another site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def home_for(principal: Principal) -> str:
    if principal.can(Permission.MATCH):
        return "/match"
    if principal.can(Permission.AUDIT_READ):
        return "/audit"
    if principal.can(Permission.CASES):  # investigators: their queue
        return "/cases"
    return "/hashsets"


@router.get("/", response_class=HTMLResponse)
def index(principal: Principal = ANYONE) -> Response:
    return RedirectResponse(home_for(principal), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", None, login_csrf=token, next=_safe_next(next), error=None)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request),
        max_age=3600,
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    state = state_of(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        audit_denied(request, 403, "sign-in csrf")
        raise ApiError(403, "the sign-in form expired: reload the page and try again", code="csrf")
    try:
        with state.db.session() as session:
            user = authenticate(session, username, password, client_ip(request), state.throttle)
            if user is not None:
                key, _row = create_web_session(session, user, timedelta(hours=state.settings.session_hours))
    except LoginThrottledError as err:
        return page(
            request,
            "login.html",
            None,
            status_code=429,
            headers={"Retry-After": str(err.retry_after)},
            login_csrf=csrf_token,
            next=_safe_next(next),
            error=str(err),
        )
    if user is None:
        return page(
            request,
            "login.html",
            None,
            status_code=401,
            login_csrf=csrf_token,
            next=_safe_next(next),
            error="wrong user name or password",
        )
    response = RedirectResponse(_safe_next(next) if next != "/" else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        key,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        max_age=int(state.settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = ANYONE,
) -> Response:
    check_csrf(request, principal, csrf_token)
    key = request.cookies.get(SESSION_COOKIE, "")
    with state_of(request).db.session() as session:
        sign_out(session, actor_of(request, principal), key, principal.label)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ------------------------------------------------------------------ match


@router.get("/match", response_class=HTMLResponse)
def match_page(request: Request, principal: Principal = MATCHER) -> Response:
    return page(
        request,
        "match.html",
        principal,
        results=None,
        form=_MATCH_FORM,
        chosen=[],
        sets=_set_names(request),
        error=None,
        max_distance_cap=MAX_DISTANCE,
    )


# "hashsets" (comma-separated, NAME:N for a set's own distance) is still read for scripts; the page itself
# offers the picker: one "hashset" checkbox per set.
_MATCH_FORM = {"signals": "", "hashsets": "", "max_distance": ""}
PICKER_MAX = 500  # sets offered (and accepted) by the picker


def _set_names(request: Request) -> list[str]:
    return [info.name for info in list_sets(state_of(request).db)][:PICKER_MAX]


@router.post("/match", response_class=HTMLResponse)
async def match_submit(request: Request, principal: Principal = MATCHER) -> Response:
    form = await request.form(max_files=1, max_fields=10 + PICKER_MAX)
    check_csrf(request, principal, str(form.get("csrf_token", "")))
    upload = form.get("file")
    # Room for 100 hashes of any kind (what one lookup takes); a longer paste is refused, not cut.
    given = {name: str(form.get(name, ""))[:40_000] for name in _MATCH_FORM}
    chosen = [str(v)[:200] for v in form.getlist("hashset")][:PICKER_MAX]
    error = None
    status = 200
    results = None
    try:
        names = [*chosen, given["hashsets"]]
        options = options_for(request, names, distance_from_text(given["max_distance"]))
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            results = await run_in_threadpool(match_upload, request, principal, upload, options)
        elif given["signals"].strip():
            # Each hash typed is its own query (and its own result), never one file's signals.
            queries = typed_queries(given["signals"])
            results = await run_in_threadpool(run_match, request, principal, queries, options)
        else:
            error, status = "choose a file or paste hashes", 422
    except ApiError as err:
        error, status = err.message, err.status
    except (InvalidInput, NotFound) as err:  # shown in the form; other kinds get the error page
        error, status = " ".join(str(err).split()), status_for(err)
    htmx = bool(request.headers.get("HX-Request"))
    return page(
        request,
        "match_result.html" if htmx else "match.html",
        principal,
        # htmx swaps only 2xx answers; the fragment itself says what went wrong.
        status_code=200 if htmx else status,
        results=None if results is None else [r.as_dict() | {"matches": _rows(r)} for r in results],
        form=given,
        chosen=chosen,
        sets=[] if htmx else await run_in_threadpool(_set_names, request),
        error=error,
        max_distance_cap=MAX_DISTANCE,
    )


def _rows(result: LookupResult) -> list[dict[str, Any]]:
    # The entry as people know it: the list's own id (MediaID) where it gave one.
    return [m.as_dict() | {"list_id": m.list_id} for m in result.matches]


# ------------------------------------------------------------------ admin: users and tokens


def _admin_page(request: Request, principal: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    with state_of(request).db.sessions() as session:
        users = list_users(session)
        tokens = list_tokens(session)
    return page(
        request,
        "admin.html",
        principal,
        status_code=status_code,
        users=users,
        tokens=tokens,
        roles=list(Role),
        role_help=ROLE_HELP,
        scopes=list(Permission),
        **({"message": None, "error": None, "new_token": None} | extra),
    )


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, principal: Principal = ADMIN) -> Response:
    return _admin_page(request, principal)


@router.post("/admin/users", response_class=HTMLResponse)
def admin_add_user(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = ADMIN,
) -> Response:
    check_csrf(request, principal, csrf_token)
    try:
        with state_of(request).db.session() as session:
            add_user(session, actor_of(request, principal), name, role, password)
    except (AccountError, RoleError, PasswordPolicyError) as err:
        return _admin_page(request, principal, 422, error=str(err))
    return _admin_page(request, principal, message=f"user {name} added")


@router.post("/admin/users/{name}/{action}", response_class=HTMLResponse)
def admin_user_action(
    request: Request,
    name: str,
    action: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = ADMIN,
) -> Response:
    check_csrf(request, principal, csrf_token)
    if action not in ("disable", "enable"):
        raise ApiError(404, "no such action")
    try:
        with state_of(request).db.session() as session:
            set_disabled(session, actor_of(request, principal), name, action == "disable")
    except AccountError as err:
        return _admin_page(request, principal, 422, error=str(err))
    return _admin_page(request, principal, message=f"user {name} {action}d")


@router.post("/admin/tokens", response_class=HTMLResponse)
def admin_create_token(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[list[str], Form()],
    user: Annotated[str, Form(max_length=100)] = "",
    expires_days: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = ADMIN,
) -> Response:
    check_csrf(request, principal, csrf_token)
    try:
        days = float(expires_days) if expires_days.strip() else None
        if days is not None and not 0 < days <= 3650:
            raise AccountError("expiry must be 0-3650 days")
        with state_of(request).db.session() as session:
            secret, _row = create_token(
                session,
                actor_of(request, principal),
                name,
                parse_scopes(scopes),
                user.strip() or None,
                None if days is None else timedelta(days=days),
            )
    except (AccountError, RoleError, ValueError) as err:
        return _admin_page(request, principal, 422, error=str(err))
    return _admin_page(request, principal, message=f"token {name} created", new_token=secret)


@router.post("/admin/tokens/{name}/revoke", response_class=HTMLResponse)
def admin_revoke_token(
    request: Request,
    name: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = ADMIN,
) -> Response:
    check_csrf(request, principal, csrf_token)
    try:
        with state_of(request).db.session() as session:
            revoke_token(session, actor_of(request, principal), name)
    except AccountError as err:
        return _admin_page(request, principal, 422, error=str(err))
    return _admin_page(request, principal, message=f"token {name} revoked")


# ------------------------------------------------------------------ audit


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    actor: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    outcome: Annotated[str, Query(max_length=16)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    check: Annotated[str, Query(max_length=5)] = "",
    principal: Principal = AUDITOR,
) -> Response:
    error = None
    try:
        flt = AuditFilter(
            actor=actor.strip() or None,
            action=action.strip() or None,
            outcome=outcome.strip() or None,
            since=utc(_date(since, "since")),
            until=utc(_date(until, "until")),
        )
    except ValueError as err:
        error, flt = str(err), AuditFilter()
    db = state_of(request).db
    checked = auditlog.check(db, lock_wait=LOCK_WAIT) if check else None
    with db.sessions() as session:
        events = [as_dict(r) for r in search(session, flt, 100, before)]
    return page(
        request,
        "audit.html",
        principal,
        events=events,
        verified=checked.result if checked else None,
        verify_notes=checked.notes() if checked else [],
        error=error,
        form={"actor": actor, "action": action, "outcome": outcome, "since": since, "until": until},
        older=events[-1]["seq"] if len(events) == 100 else None,
    )


def _date(text: str, name: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{name}: use a date like 2026-11-22 or 2026-11-22T10:30") from None


router.include_router(hashset_pages.router)
router.include_router(case_pages.router)
router.include_router(hotline_pages.router)
router.include_router(stats_pages.router)
router.include_router(deterrence_pages.router)
router.include_router(scan_pages.router)
router.include_router(review_pages.router)
router.include_router(remove_pages.router)
