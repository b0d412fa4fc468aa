"""The review grid of a scan: its groups of near-duplicate unknown images and videos, thumbnails blurred
and greyscale as the user's settings say, graded from the keyboard (static/review.js calls the review
API), a page of groups at a time. Every operation is review-core's service (netsafe.review.service);
thumbnails are served by the API (web/api/thumbnails.py)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netsafe.accounts.roles import Permission
from netsafe.media import pictures
from netsafe.review import service
from netsafe.services.accounts import Principal
from netsafe.web.api.review import thumbnail_url
from netsafe.web.auth import actor_of, check_csrf, require_page
from netsafe.web.pages.render import page
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
REVIEWER = Depends(require_page(Permission.REVIEW))
PER_PAGE = 60  # groups a page: a page's thumbnails stay under the rate limit's burst
MAX_PER_PAGE = 1000
# Keys the grid keeps for itself (see static/review.js); a category never takes one of them.
RESERVED_KEYS = frozenset("ijklsuvh?")


def category_keys(categories: list[tuple[str, str]]) -> list[dict[str, str]]:
    """A key for each category, as examiners expect: the code itself when it is one character (A, B, C;
    VIC's 0-4), else its first letter, else the next free digit."""
    used: set[str] = set()
    out: list[dict[str, str]] = []
    for code, label in categories:
        options = [code.lower()] if len(code) == 1 else [code[:1].lower()]
        options += [str(d) for d in range(1, 10)]
        key = next(k for k in options if k not in used and k not in RESERVED_KEYS and k.isalnum())
        used.add(key)
        out.append({"code": code, "label": label, "key": key})
    return out


def _user(principal: Principal) -> str:
    return principal.username or ""


@router.get("/scans/{scan_id}/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    scan_id: RowId,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    per: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE,
    state: Annotated[str, Query(max_length=16)] = "open",
    principal: Principal = REVIEWER,
) -> Response:
    st = state_of(request)
    db, settings, user = st.db, st.settings.review, _user(principal)
    groups = service.list_groups(
        db, actor_of(request, principal), scan_id, settings, offset=offset, limit=per, state=state or None
    )
    prefs = service.get_prefs(db, user)
    # The grid always opens blurred, whatever the settings: seeing one item sharp is an unblur, one by one.
    shown = {
        "blur": max(prefs.blur, 1),
        "colour": "true" if prefs.colour else "false",
        "size": min(max(prefs.size, pictures.MIN_SIZE), pictures.MAX_SIZE),
    }
    query = urlencode(shown)
    cards: list[dict[str, Any]] = []
    for group in groups.groups:
        data = group.as_dict()
        for item in data["items"]:
            item["thumbnail"] = f"{thumbnail_url(item['item'])}?{query}"
            item["sharp"] = f"{thumbnail_url(item['item'])}?{urlencode(shown | {'blur': 0})}"
        cards.append(data)
    exposure = service.my_exposure(db, settings, user).as_dict()
    totals = service.exposure_totals(db, user).as_dict() if principal.can(Permission.ADMIN) else None

    def link(at: int) -> str:
        return f"/scans/{scan_id}/review?" + urlencode({"offset": at, "per": per, "state": state})

    return page(
        request,
        "review.html",
        principal,
        active="scans",
        scan_id=scan_id,
        groups=cards,
        page=groups.as_dict() | {"groups": None},
        state=state,
        categories=category_keys(service.categories_of(db, settings, scan_id)),
        prefs=prefs.as_dict(),
        shown=shown,
        exposure=exposure,
        totals=totals,
        previous=link(max(0, offset - per)) if offset > 0 else None,
        next=link(offset + per) if offset + per < groups.total_groups else None,
        first_number=offset + 1,
    )


@router.post("/review/settings", response_class=HTMLResponse)
def review_settings(
    request: Request,
    blur: Annotated[int, Form(ge=0, le=pictures.MAX_BLUR)],
    size: Annotated[int, Form(ge=pictures.MIN_SIZE, le=pictures.MAX_SIZE)],
    colour: Annotated[str, Form(max_length=5)] = "",
    next: Annotated[str, Form(max_length=500)] = "/scans",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = REVIEWER,
) -> Response:
    check_csrf(request, principal, csrf_token)
    st = state_of(request)
    service.save_prefs(
        st.db, actor_of(request, principal), _user(principal), blur=blur, colour=bool(colour), size=size
    )
    target = next if next.startswith("/scans/") and "//" not in next and "\\" not in next else "/scans"
    return RedirectResponse(target, status_code=303)
