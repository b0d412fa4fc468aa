"""Remove my image: take a young person's hashes, share them in the self-reported set, verify, withdraw.

Each operation checks, changes and audits in one transaction, so no request, entry or withdrawal lands
without its event. A request holds hashes only; its entries in the hash set carry the request's reference
(``source_id`` ``REFERENCE/N``) and nothing about the person. The secret is shown once and kept only as
an Argon2 hash; a wrong secret and an unknown reference answer alike, in the same time.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.accounts.passwords import hash_password, verify_password
from netsafe.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from netsafe.hashsets.model import Entry
from netsafe.hashsets.profiles import DEFAULT_PROFILE
from netsafe.hotline.referrals import hold, upload_state, withdraw_self_referred
from netsafe.hotline.vault import Vault
from netsafe.remove.models import RemoveItemRow, RemoveRequestRow
from netsafe.remove.settings import RemoveSettings
from netsafe.services.accounts import get_user
from netsafe.signals import types as signal_types
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.pdq import QUALITY_THRESHOLD
from netsafe.store import repositories as repo
from netsafe.store.db import Database
from netsafe.store.models import EntryRow, HashSetRow

PUBLIC = Actor("public:remove")
VaultSource = Vault | Callable[[], Vault]  # the hotline's vault, or how to open it when it is needed
# What the page computes on the device: the request body's fields, not a list of the registry's signals.
DEVICE_SIGNALS = ("md5", "sha256", "pdq")  # signal-list: ok
STATUSES = ("received", "verified", "not_confirmed", "withdrawn")
# Unambiguous letters and digits (no 0/O, 1/I/L): read aloud or copied from a phone's screen.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Matched like any list (platforms receive it), told apart from lists analysts graded.
SET_KIND = "self-reported"
SET_DESCRIPTION = (
    "Hashes a young person computed on their own device (netsafe Remove my image); "
    "each entry's id is its request's reference."
)


class RequestNotFoundError(NotFound):
    pass


class RequestWithdrawnError(Conflict):
    pass


class NotAnAnalystError(Forbidden):
    pass


class UploadWaitingError(Conflict):
    pass


@dataclass(frozen=True, slots=True)
class NewItem:
    """One photo's or video's hashes as the browser sent them; ``where`` names it in errors."""

    md5: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    where: str = "items[0]"


@dataclass(frozen=True, slots=True)
class Submitted:
    reference: str
    secret: str
    status: str
    shared: bool


def now() -> datetime:
    return datetime.now(UTC)


def _code(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_secret() -> str:
    return f"{_code(4)}-{_code(4)}-{_code(4)}"  # 59 bits, kept as an Argon2 hash


def _target(reference: str) -> str:
    return f"remove:{reference}"


def check_item(item: NewItem) -> dict[str, str]:
    """The item's signals, normalised; InvalidInput naming the item and field for a bad one."""
    signals: dict[str, str] = {}
    for name in DEVICE_SIGNALS:
        value = getattr(item, name)
        if value is None:
            continue
        try:
            signals[name] = signal_types.normalise(name, value)
        except HashFormatError as err:
            raise InvalidInput(f"{item.where}.{name}: {err}") from None
    if "md5" not in signals and "sha256" not in signals:
        raise InvalidInput(f"{item.where}: give md5 or sha256 (the page computes both)")
    if item.pdq_quality is not None and not 0 <= item.pdq_quality <= 100:
        raise InvalidInput(f"{item.where}.pdq_quality: give a whole number from 0 to 100")
    if ("pdq" in signals) != (item.pdq_quality is not None):
        raise InvalidInput(f"{item.where}: give pdq and pdq_quality together, or neither")
    return signals


def _entry(reference: str, number: int, signals: dict[str, str], quality: int | None) -> Entry:
    shared = dict(signals)
    if "pdq" in shared and (quality or 0) < QUALITY_THRESHOLD:
        # Meta's guidance: a low-quality PDQ (a flat or tiny picture) matches too much to share.
        del shared["pdq"]
    return Entry(
        signals=shared,
        source_id=f"{reference}/{number}",
        tags=["self-reported"],
        origin_file="remove",
        origin_record=number,
    )


def _hash_set(session: Session, name: str) -> HashSetRow:
    row = repo.find_set(session, name)
    if row is None:
        row = repo.create_set(session, name, DEFAULT_PROFILE, SET_DESCRIPTION, "self-reported", kind=SET_KIND)
        record(
            session,
            PUBLIC,
            "hashset.create",
            f"hashset:{row.name}",
            {"profile": DEFAULT_PROFILE, "kind": SET_KIND},
        )
    return row


def _share(session: Session, actor: Actor, request: RemoveRequestRow) -> int:
    """Put the request's hashes into its set as one new version; returns how many entries."""
    items = list(session.scalars(select(RemoveItemRow).where(RemoveItemRow.request_id == request.id)))
    row = _hash_set(session, request.hash_set)
    version = repo.next_version(session, row)
    entries = []
    for item in items:
        signals = {k: v for k in DEVICE_SIGNALS if (v := getattr(item, k))}
        entries.append(_entry(request.reference, item.number, signals, item.pdq_quality))
    repo.upsert_entries(session, row.id, version, entries)
    by_source = {
        source: entry_id
        for entry_id, source in session.execute(
            select(EntryRow.id, EntryRow.source_id).where(
                EntryRow.hash_set_id == row.id,
                EntryRow.source_id.like(f"{request.reference}/%"),
            )
        )
    }
    for item in items:
        item.entry_id = by_source.get(f"{request.reference}/{item.number}")
    request.shared = True
    record(
        session,
        actor,
        "hashset.add",
        f"hashset:{row.name}",
        {"version": version, "added": len(entries), "updated": 0, "remove_request": request.reference},
    )
    return len(entries)


def _unshare(session: Session, actor: Actor, request: RemoveRequestRow) -> int:
    items = list(session.scalars(select(RemoveItemRow).where(RemoveItemRow.request_id == request.id)))
    ids = [item.entry_id for item in items if item.entry_id is not None]
    row = repo.find_set(session, request.hash_set)
    if ids and row is not None:
        present = set(repo.entry_ids(session, row.id)) & set(ids)
        if present:
            version = repo.remove_entries(session, row, sorted(present))
            record(
                session,
                actor,
                "hashset.remove",
                f"hashset:{row.name}",
                {"version": version, "removed": len(present), "remove_request": request.reference},
            )
    for item in items:
        item.entry_id = None
    request.shared = False
    return len(ids)


def check_items(settings: RemoveSettings, items: list[NewItem]) -> list[tuple[NewItem, dict[str, str]]]:
    if not items:
        raise InvalidInput("items: give at least one photo's hashes")
    if len(items) > settings.max_items:
        raise InvalidInput(f"items: at most {settings.max_items} in one request")
    checked = [(item, check_item(item)) for item in items]
    seen: dict[tuple[tuple[str, str], ...], str] = {}
    for item, signals in checked:
        key = tuple(sorted(signals.items()))
        if key in seen:
            raise InvalidInput(f"{item.where}: the same photo as {seen[key]}")
        seen[key] = item.where
    return checked


def new_reference(session: Session) -> str:
    for _ in range(5):
        reference = f"RM-{_code(8)}"
        if session.scalar(select(RemoveRequestRow.id).where(RemoveRequestRow.reference == reference)) is None:
            break
    return reference


def receive(
    session: Session,
    settings: RemoveSettings,
    reference: str,
    secret_hash: str,
    checked: list[tuple[NewItem, dict[str, str]]],
    age_under_18: bool,
    stamp: datetime,
    hotline_report: tuple[int, str] | None = None,
) -> RemoveRequestRow:
    """Store a request and its items in the caller's transaction, audited, shared by the policy."""
    request = RemoveRequestRow(
        reference=reference,
        secret_hash=secret_hash,
        status="received",
        age_under_18=age_under_18,
        hash_set=settings.hash_set,
        shared=False,
        created=stamp,
        updated=stamp,
        hotline_report_id=hotline_report[0] if hotline_report else None,
    )
    session.add(request)
    session.flush()
    for number, (item, signals) in enumerate(checked, start=1):
        session.add(
            RemoveItemRow(
                request_id=request.id,
                number=number,
                md5=signals.get("md5"),
                sha256=signals.get("sha256"),
                pdq=signals.get("pdq"),
                pdq_quality=item.pdq_quality,
            )
        )
    session.flush()
    _hash_set(session, settings.hash_set)  # platforms see the set, empty or not
    details: dict[str, Any] = {
        "items": len(checked),
        "age_under_18": age_under_18,
        "hash_set": settings.hash_set,
    }
    if hotline_report:
        details["upload"] = hotline_report[1]
    record(session, PUBLIC, "remove.receive", _target(reference), details)
    if settings.share_unverified:
        _share(session, PUBLIC, request)
    return request


def submit(db: Database, settings: RemoveSettings, items: list[NewItem], age_under_18: bool) -> Submitted:
    """Record a request and (by the operator's policy) share its hashes at once; returns the secret once."""
    checked = check_items(settings, items)
    secret = new_secret()
    secret_hash = hash_password(secret)  # Argon2 is slow on purpose: not while the transaction is open
    stamp = now()
    with db.session() as session:
        request = receive(
            session, settings, new_reference(session), secret_hash, checked, age_under_18, stamp
        )
        reference, shared = request.reference, request.shared
    return Submitted(reference, secret, "received", shared)


def _public_view(session: Session, request: RemoveRequestRow) -> dict[str, Any]:
    upload = _upload(session, request)
    return {
        "reference": request.reference,
        "status": request.status,
        "shared": request.shared,
        "items": _item_count(session, request),
        "created": request.created.isoformat(),
        "upload": upload is not None,
        "assessment": upload["assessment"] if upload else None,
        "picture": upload["picture"] if upload else None,
    }


def _upload(session: Session, request: RemoveRequestRow) -> dict[str, Any] | None:
    if request.hotline_report_id is None:
        return None
    state = upload_state(session, request.hotline_report_id)
    if state["assessment"] == "closed" and request.status == "withdrawn":
        state["assessment"] = "withdrawn"  # it left the queue because the person took the request back
    return state


def _item_count(session: Session, request: RemoveRequestRow) -> int:
    return len(list(session.scalars(select(RemoveItemRow.id).where(RemoveItemRow.request_id == request.id))))


def _by_secret(session: Session, reference: str, secret: str) -> RemoveRequestRow | None:
    row = session.scalars(
        select(RemoveRequestRow).where(RemoveRequestRow.reference == reference.strip().upper()[:32])
    ).one_or_none()
    # An unknown reference costs the same Argon2 check as a known one: neither answer says which it was.
    ok = verify_password(row.secret_hash if row is not None else None, secret.strip().upper()[:64])
    return row if ok else None


def status(db: Database, reference: str, secret: str) -> dict[str, Any] | None:
    """The request's status for its holder, or None for a wrong reference or secret (nothing more)."""
    with db.session() as session:
        row = _by_secret(session, reference, secret)
        return None if row is None else _public_view(session, row)


def withdraw_own(
    db: Database, reference: str, secret: str, vault: VaultSource | None = None
) -> dict[str, Any] | None:
    """The holder withdraws: the hashes leave the set, an uploaded picture is deleted. None for a wrong
    reference or secret."""
    with db.session() as session:
        row = _by_secret(session, reference, secret)
        if row is None:
            return None
        sealed = _withdraw(session, PUBLIC, row, vault)
        out = _public_view(session, row)
    _delete(vault, sealed)
    return out


def _withdraw(session: Session, actor: Actor, row: RemoveRequestRow, vault: VaultSource | None) -> list[str]:
    """Withdraw in the caller's transaction; the vault ids of an uploaded picture to delete after it."""
    if row.hotline_report_id is not None:
        hold(session, row.hotline_report_id)
        session.refresh(row, with_for_update=True)  # as the assessment that may have settled it left it
    if row.status == "withdrawn":
        return []
    if row.hotline_report_id is not None and vault is None:
        raise Unavailable(
            f"remove request {row.reference} has an uploaded picture, which is deleted on withdrawal: "
            "that needs the hotline's vault (this door did not open it)"
        )
    removed = _unshare(session, actor, row) if row.shared else 0
    row.status = "withdrawn"
    row.updated = now()
    sealed = (
        withdraw_self_referred(session, actor, row.hotline_report_id, row.updated)
        if row.hotline_report_id is not None
        else []
    )
    record(
        session,
        actor,
        "remove.withdraw",
        _target(row.reference),
        {"entries_removed": removed, "pictures_deleted": len(sealed)},
    )
    return sealed


def _delete(vault: VaultSource | None, sealed: list[str]) -> None:
    # After the commit, as an assessment does: a withdrawal that failed to land keeps the picture.
    if sealed and vault is not None:
        (vault if isinstance(vault, Vault) else vault()).purge(sealed)


def _get(session: Session, reference: str) -> RemoveRequestRow:
    row = session.scalars(
        select(RemoveRequestRow).where(RemoveRequestRow.reference == reference.strip().upper())
    ).one_or_none()
    if row is None:
        raise RequestNotFoundError(f"no remove request {reference[:40]!r} (see `netsafe remove list`)")
    return row


def withdraw(db: Database, actor: Actor, reference: str, vault: VaultSource | None = None) -> dict[str, Any]:
    """An operator withdraws a request (e.g. the person asked by phone); its hashes leave the set and an
    uploaded picture is deleted."""
    with db.session() as session:
        row = _get(session, reference)
        sealed = _withdraw(session, actor, row, vault)
        out = _view(session, row)
    _delete(vault, sealed)
    return out


def _analyst(session: Session, user: str) -> str:
    found = get_user(session, user)
    if found is None or found.disabled:
        raise NotAnAnalystError(f"no active user {user[:60]!r} (see `netsafe user list`)")
    if Permission.HOTLINE not in ROLE_PERMISSIONS[Role(found.role)]:
        raise NotAnAnalystError(
            f"user {user[:60]!r} (role {found.role}) may not verify requests: "
            "that needs the hotline permission"
        )
    return f"user:{found.name}"


def verify(db: Database, actor: Actor, reference: str, user: str | None = None) -> dict[str, Any]:
    """An analyst's check: the request becomes verified, and its hashes are shared if they were not."""
    with db.session() as session:
        by = _analyst(session, user) if user is not None else actor.name
        row = _get(session, reference)
        if row.status == "withdrawn":
            raise RequestWithdrawnError(
                f"remove request {row.reference} was withdrawn: it cannot be verified"
            )
        upload = _upload(session, row)
        if upload is not None and upload["assessment"] == "waiting":
            raise UploadWaitingError(
                f"remove request {row.reference}'s picture waits for assessment: assess hotline report "
                f"{upload['report']}, which settles the request"
            )
        confirm(session, actor, row, by)
        return _view(session, row)


def confirm(session: Session, actor: Actor, row: RemoveRequestRow, by: str) -> None:
    """The request becomes verified by ``by``, its hashes shared if they were not (caller's transaction)."""
    shared_now = False
    if not row.shared:
        _share(session, actor, row)
        shared_now = True
    row.status = "verified"
    row.verified_by = by[:200]
    row.updated = now()
    record(session, actor, "remove.verify", _target(row.reference), {"by": by, "shared_now": shared_now})


def not_confirmed(session: Session, actor: Actor, row: RemoveRequestRow, by: str) -> None:
    """An analyst could not confirm the uploaded picture: its hashes are not shared (taken out if they
    were), whatever the policy, since unverified no longer describes them."""
    removed = _unshare(session, actor, row) if row.shared else 0
    row.status = "not_confirmed"
    row.verified_by = by[:200]
    row.updated = now()
    record(
        session, actor, "remove.not_confirmed", _target(row.reference), {"by": by, "entries_removed": removed}
    )


def _view(session: Session, row: RemoveRequestRow) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "status": row.status,
        "items": _item_count(session, row),
        "created": row.created.isoformat(),
        "shared": row.shared,
        "hash_set": row.hash_set,
        "verified_by": row.verified_by,
        "age_under_18": row.age_under_18,
        **_upload_view(session, row),
    }


def _upload_view(session: Session, row: RemoveRequestRow) -> dict[str, Any]:
    upload = _upload(session, row)
    return {
        "upload": upload is not None,
        "assessment": upload["assessment"] if upload else None,
        "hotline_report": upload["report"] if upload else None,
        "picture": upload["picture"] if upload else None,
    }


def list_requests(db: Database, status_filter: str | None = None) -> list[dict[str, Any]]:
    if status_filter is not None and status_filter not in STATUSES:
        raise InvalidInput(
            f"--status: {status_filter[:40]!r} is not a status (use one of {', '.join(STATUSES)})"
        )
    with db.session() as session:
        query = select(RemoveRequestRow).order_by(RemoveRequestRow.created.desc(), RemoveRequestRow.id.desc())
        if status_filter is not None:
            query = query.where(RemoveRequestRow.status == status_filter)
        return [_view(session, row) for row in session.scalars(query)]
