"""Hash-set pages: list, detail (entries per category), import form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netsafe.accounts.roles import Permission
from netsafe.accounts.service import Principal
from netsafe.hashsets.profiles import load_profile
from netsafe.store.convert import set_info
from netsafe.store.models import EntryRow
from netsafe.store.repositories import NotFoundError, entry_count, get_set, set_infos
from netsafe.web.auth import require_page
from netsafe.web.errors import ApiError
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
READER = Depends(require_page(Permission.HASHSETS_READ))


def category_counts(session: Session, hash_set_id: int, profile_name: str) -> list[tuple[str, str, int]]:
    """``(code, label, entries)`` in the profile's order, uncategorised last; empty categories kept."""
    rows: dict[str | None, int] = {
        code: int(n)
        for code, n in session.execute(
            select(EntryRow.category, func.count())
            .where(EntryRow.hash_set_id == hash_set_id)
            .group_by(EntryRow.category)
        ).all()
    }
    profile = load_profile(profile_name)
    out = [(c.code, c.label, rows.pop(c.code, 0)) for c in profile.categories]
    uncategorised = rows.pop(None, 0)
    out.extend((str(code), "not in profile", n) for code, n in rows.items())
    out.append(("", profile.uncategorised_label, uncategorised))
    return out


@router.get("/hashsets", response_class=HTMLResponse)
def hashsets_page(request: Request, principal: Principal = READER) -> Response:
    with state_of(request).db.sessions() as session:
        infos = set_infos(session)
    return page(request, "hashsets.html", principal, infos=infos, message=None, error=None)


@router.get("/hashsets/{name}", response_class=HTMLResponse)
def hashset_page(request: Request, name: str, principal: Principal = READER) -> Response:
    with state_of(request).db.sessions() as session:
        try:
            row = get_set(session, name)
        except NotFoundError as err:
            raise ApiError(404, str(err)) from None
        info = set_info(row, entry_count(session, row.id))
        counts = category_counts(session, row.id, row.profile)
    return page(request, "hashset.html", principal, info=info, counts=counts)
