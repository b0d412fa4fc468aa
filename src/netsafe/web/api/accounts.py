"""Users and API tokens (administrators): the same account service as ``netsafe user`` / ``netsafe token``."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Request

from netsafe.accounts.models import ApiTokenRow, UserRow
from netsafe.accounts.passwords import PasswordPolicyError
from netsafe.accounts.roles import Permission, RoleError, parse_scopes
from netsafe.services.accounts import (
    AccountError,
    Principal,
    add_user,
    create_token,
    list_tokens,
    list_users,
    revoke_token,
    set_disabled,
)
from netsafe.web.api.schemas import TokenCreatedOut, TokenIn, TokenOut, UserIn, UserOut
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.state import state_of

router = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)
ADMIN = Depends(require(Permission.ADMIN))


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def user_out(user: UserRow) -> UserOut:
    return UserOut(
        name=user.name,
        role=user.role,
        disabled=user.disabled,
        created=user.created.isoformat(),
        last_login=_iso(user.last_login),
    )


def token_out(row: ApiTokenRow, user: str | None) -> TokenOut:
    return TokenOut(
        name=row.name,
        public_id=row.public_id,
        scopes=row.scopes.split(","),
        user=user,
        created=row.created.isoformat(),
        expires=_iso(row.expires),
        revoked=_iso(row.revoked),
    )


def _conflict(err: Exception) -> ApiError:
    text = str(err)
    return ApiError(409 if "already exists" in text else 404 if text.startswith("no ") else 422, text)


@router.get("/users", response_model=list[UserOut], summary="List users")
def users_list(request: Request, _: Principal = ADMIN) -> list[UserOut]:
    with state_of(request).db.sessions() as session:
        return [user_out(u) for u in list_users(session)]


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a user")
def users_add(request: Request, body: UserIn, principal: Principal = ADMIN) -> UserOut:
    try:
        with state_of(request).db.session() as session:
            return user_out(
                add_user(session, actor_of(request, principal), body.name, body.role, body.password)
            )
    except (AccountError, RoleError, PasswordPolicyError) as err:
        raise _conflict(err) from None


@router.post("/users/{name}/disable", response_model=UserOut, summary="Disable a user (ends their sessions)")
def users_disable(request: Request, name: str, principal: Principal = ADMIN) -> UserOut:
    try:
        with state_of(request).db.session() as session:
            return user_out(set_disabled(session, actor_of(request, principal), name, True))
    except AccountError as err:
        raise _conflict(err) from None


@router.post("/users/{name}/enable", response_model=UserOut, summary="Enable a user")
def users_enable(request: Request, name: str, principal: Principal = ADMIN) -> UserOut:
    try:
        with state_of(request).db.session() as session:
            return user_out(set_disabled(session, actor_of(request, principal), name, False))
    except AccountError as err:
        raise _conflict(err) from None


@router.get("/tokens", response_model=list[TokenOut], summary="List API tokens (never their secrets)")
def tokens_list(request: Request, include_revoked: bool = False, _: Principal = ADMIN) -> list[TokenOut]:
    with state_of(request).db.sessions() as session:
        return [token_out(t, u) for t, u in list_tokens(session, include_revoked)]


@router.post("/tokens", response_model=TokenCreatedOut, status_code=201, summary="Create an API token")
def tokens_create(request: Request, body: TokenIn, principal: Principal = ADMIN) -> TokenCreatedOut:
    try:
        scopes = parse_scopes(body.scopes)
        with state_of(request).db.session() as session:
            secret, row = create_token(
                session,
                actor_of(request, principal),
                body.name,
                scopes,
                body.user,
                None if body.expires_days is None else timedelta(days=body.expires_days),
            )
            out = token_out(row, body.user)
    except (AccountError, RoleError) as err:
        raise _conflict(err) from None
    return TokenCreatedOut(**out.model_dump(), token=secret)


@router.post("/tokens/{name}/revoke", response_model=TokenOut, summary="Revoke an API token")
def tokens_revoke(request: Request, name: str, principal: Principal = ADMIN) -> TokenOut:
    try:
        with state_of(request).db.session() as session:
            row = revoke_token(session, actor_of(request, principal), name)
            return token_out(row, None)
    except AccountError as err:
        raise _conflict(err) from None
