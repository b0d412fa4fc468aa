"""Accounts: people, API tokens and web sessions. Every change is an audit event in the same transaction.

Functions take an open SQLAlchemy session and never commit: the caller's transaction decides.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from netsafe.accounts.models import ApiTokenRow, LoginFailureRow, UserRow, WebSessionRow
from netsafe.accounts.passwords import hash_password, needs_rehash, verify_password
from netsafe.accounts.roles import ROLE_PERMISSIONS, Permission, Role, parse_role, scopes_text
from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput

TOKEN_PREFIX = "nst"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class AccountError(InvalidInput, ValueError):
    """A request about accounts that cannot be done; ``str(err)`` is one line for a person."""


def now() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_name(name: str, what: str = "user name") -> str:
    if not NAME_RE.match(name):
        raise AccountError(
            f"invalid {what} {name[:40]!r}: 1-100 characters, letters, digits and . _ @ - (start with a "
            "letter or digit)"
        )
    return name


# ---------------------------------------------------------------- users


def get_user(session: Session, name: str) -> UserRow | None:
    return session.execute(select(UserRow).where(UserRow.name == name)).scalar_one_or_none()


def list_users(session: Session) -> list[UserRow]:
    return list(session.execute(select(UserRow).order_by(UserRow.name)).scalars())


def count_admins(session: Session) -> int:
    return session.execute(
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == Role.ADMIN, UserRow.disabled.is_(False))
    ).scalar_one()


def add_user(session: Session, actor: Actor, name: str, role: str | Role, password: str) -> UserRow:
    check_name(name)
    role = parse_role(role) if isinstance(role, str) else role
    if get_user(session, name) is not None:
        raise AccountError(f"user {name!r} already exists")
    stamp = now()
    user = UserRow(
        name=name,
        role=role.value,
        password_hash=hash_password(password),
        disabled=False,
        created=stamp,
        updated=stamp,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.add", f"user:{name}", {"role": role.value})
    return user


def _require_user(session: Session, name: str) -> UserRow:
    user = get_user(session, name)
    if user is None:
        raise AccountError(f"no user {name!r} (see `netsafe user list`)")
    return user


def _keep_an_admin(session: Session, user: UserRow) -> None:
    if user.role == Role.ADMIN and not user.disabled and count_admins(session) <= 1:
        raise AccountError(f"{user.name!r} is the last active administrator: add another admin first")


def set_role(session: Session, actor: Actor, name: str, role: str | Role) -> UserRow:
    user = _require_user(session, name)
    role = parse_role(role) if isinstance(role, str) else role
    if role != Role.ADMIN:
        _keep_an_admin(session, user)
    old = user.role
    user.role, user.updated = role.value, now()
    record(session, actor, "user.role", f"user:{name}", {"from": old, "to": role.value})
    return user


def set_password(session: Session, actor: Actor, name: str, password: str) -> UserRow:
    user = _require_user(session, name)
    user.password_hash, user.updated = hash_password(password), now()
    # A new password logs the person out everywhere.
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user.id))
    record(session, actor, "user.password", f"user:{name}")
    return user


def set_disabled(session: Session, actor: Actor, name: str, disabled: bool) -> UserRow:
    user = _require_user(session, name)
    if disabled:
        _keep_an_admin(session, user)
        session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user.id))
    user.disabled, user.updated = disabled, now()
    record(session, actor, "user.disable" if disabled else "user.enable", f"user:{name}")
    return user


def delete_user(session: Session, actor: Actor, name: str) -> None:
    user = _require_user(session, name)
    _keep_an_admin(session, user)
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user.id))
    session.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user.id))
    session.delete(user)
    record(session, actor, "user.delete", f"user:{name}")


# ---------------------------------------------------------------- principals


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and what they may do right now."""

    user_id: int | None
    username: str | None
    role: Role | None
    permissions: frozenset[Permission]
    token_id: int | None = None
    token_name: str | None = None
    session_id: int | None = None
    csrf_token: str | None = None

    @property
    def label(self) -> str:
        if self.token_name is not None:
            owner = f"@{self.username}" if self.username else ""
            return f"token:{self.token_name}{owner}"
        return f"user:{self.username}"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def user_principal(user: UserRow, session_row: WebSessionRow | None = None) -> Principal:
    role = Role(user.role)
    return Principal(
        user_id=user.id,
        username=user.name,
        role=role,
        permissions=ROLE_PERMISSIONS[role],
        session_id=None if session_row is None else session_row.id,
        csrf_token=None if session_row is None else session_row.csrf_token,
    )


# ---------------------------------------------------------------- passwords and login


@dataclass(frozen=True, slots=True)
class Throttle:
    max_failures_per_user: int = 5
    max_failures_per_ip: int = 30
    window: timedelta = timedelta(minutes=15)


class LoginThrottledError(AccountError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after} seconds")
        self.retry_after = retry_after


def _throttle_check(session: Session, name: str, ip: str, throttle: Throttle, at: datetime) -> None:
    since = at - throttle.window
    for column, value, limit in (
        (LoginFailureRow.username, name, throttle.max_failures_per_user),
        (LoginFailureRow.ip, ip, throttle.max_failures_per_ip),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailureRow.at)).where(
                column == value, LoginFailureRow.at >= since
            )
        ).one()
        if count >= limit:
            retry = int((aware(oldest) + throttle.window - at).total_seconds()) + 1
            raise LoginThrottledError(max(retry, 1))


def authenticate(
    session: Session, name: str, password: str, ip: str, throttle: Throttle | None = None
) -> UserRow | None:
    """Check a password. Records success or failure (audit + throttle); the caller commits either way."""
    throttle = throttle or Throttle()
    at = now()
    name = name[:100]
    actor = Actor(f"user:{name}", ip)
    try:
        _throttle_check(session, name, ip, throttle, at)
    except LoginThrottledError:
        record(session, actor, "login.throttled", f"user:{name}", outcome="denied")
        raise
    user = get_user(session, name)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        session.add(LoginFailureRow(username=name, ip=ip[:64], at=at))
        reason = "disabled" if (ok and user is not None) else "bad credentials"
        record(session, actor, "login.failed", f"user:{name}", {"reason": reason}, outcome="failed")
        # Old failures are only clutter once outside every window.
        session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < at - 4 * throttle.window))
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login = at
    session.execute(delete(LoginFailureRow).where(LoginFailureRow.username == name))
    record(session, actor, "login", f"user:{name}")
    return user


# ---------------------------------------------------------------- web sessions


def create_web_session(session: Session, user: UserRow, ttl: timedelta) -> tuple[str, WebSessionRow]:
    key = secrets.token_urlsafe(32)
    at = now()
    row = WebSessionRow(
        key_hash=_sha256(key),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created=at,
        expires=at + ttl,
    )
    session.add(row)
    session.execute(delete(WebSessionRow).where(WebSessionRow.expires < at))
    session.flush()
    return key, row


def web_session_principal(session: Session, key: str) -> Principal | None:
    if not key or len(key) > 128:
        return None
    found = session.execute(
        select(WebSessionRow, UserRow)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.key_hash == _sha256(key))
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    if aware(row.expires) <= now() or user.disabled:
        return None
    return user_principal(user, row)


def end_web_session(session: Session, key: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.key_hash == _sha256(key)))


def sign_out(session: Session, actor: Actor, key: str, label: str) -> None:
    """End the web session ``key`` and record it, in the caller's transaction."""
    end_web_session(session, key)
    record(session, actor, "logout", label)


# ---------------------------------------------------------------- API tokens


def list_tokens(session: Session, include_revoked: bool = False) -> list[tuple[ApiTokenRow, str | None]]:
    stmt = select(ApiTokenRow, UserRow.name).outerjoin(UserRow, UserRow.id == ApiTokenRow.user_id)
    if not include_revoked:
        stmt = stmt.where(ApiTokenRow.revoked.is_(None))
    return [(t, u) for t, u in session.execute(stmt.order_by(ApiTokenRow.name, ApiTokenRow.id)).all()]


def create_token(
    session: Session,
    actor: Actor,
    name: str,
    scopes: frozenset[Permission],
    username: str | None = None,
    expires_in: timedelta | None = None,
) -> tuple[str, ApiTokenRow]:
    """A new token; the secret is returned once and only its hash is kept."""
    check_name(name, "token name")
    user = None
    if username is not None:
        user = _require_user(session, username)
        allowed = ROLE_PERMISSIONS[Role(user.role)]
        extra = scopes - allowed
        if extra:
            raise AccountError(
                f"user {username!r} ({user.role}) may not hold scope(s) {scopes_text(extra)}: "
                f"allowed {scopes_text(allowed)}"
            )
    active = session.execute(
        select(ApiTokenRow.id).where(ApiTokenRow.name == name, ApiTokenRow.revoked.is_(None))
    ).first()
    if active is not None:
        raise AccountError(f"a token named {name!r} already exists: revoke it first or pick another name")
    public_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    at = now()
    row = ApiTokenRow(
        name=name,
        public_id=public_id,
        secret_hash=_sha256(secret),
        scopes=scopes_text(scopes),
        user_id=None if user is None else user.id,
        created_by=actor.name,
        created=at,
        expires=None if expires_in is None else at + expires_in,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "token.create",
        f"token:{name}",
        {
            "scopes": sorted(p.value for p in scopes),
            "user": username,
            "expires": None if row.expires is None else row.expires.isoformat(),
        },
    )
    return f"{TOKEN_PREFIX}_{public_id}_{secret}", row


def revoke_token(session: Session, actor: Actor, name_or_id: str) -> ApiTokenRow:
    rows = list(
        session.execute(
            select(ApiTokenRow).where(
                ((ApiTokenRow.name == name_or_id) | (ApiTokenRow.public_id == name_or_id)),
                ApiTokenRow.revoked.is_(None),
            )
        ).scalars()
    )
    if not rows:
        raise AccountError(f"no active token {name_or_id!r} (see `netsafe token list`)")
    row = rows[0]
    row.revoked = now()
    record(session, actor, "token.revoke", f"token:{row.name}", {"public_id": row.public_id})
    return row


def split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != 16 or len(token) > 200:
        return None
    return parts[1], parts[2]


def token_principal(session: Session, token: str) -> Principal | None:
    parts = split_token(token)
    if parts is None:
        return None
    public_id, secret = parts
    found = session.execute(
        select(ApiTokenRow, UserRow)
        .outerjoin(UserRow, UserRow.id == ApiTokenRow.user_id)
        .where(ApiTokenRow.public_id == public_id)
    ).one_or_none()
    if found is None:
        return None
    row, user = found
    if not hmac.compare_digest(row.secret_hash, _sha256(secret)):
        return None
    if row.revoked is not None or (row.expires is not None and aware(row.expires) <= now()):
        return None
    scopes = frozenset(Permission(s) for s in row.scopes.split(",") if s)
    role = None
    if user is not None:
        if user.disabled:
            return None
        role = Role(user.role)
        scopes = scopes & ROLE_PERMISSIONS[role]
    return Principal(
        user_id=None if user is None else user.id,
        username=None if user is None else user.name,
        role=role,
        permissions=scopes,
        token_id=row.id,
        token_name=row.name,
    )
