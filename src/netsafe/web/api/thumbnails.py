"""Thumbnails of review items, made on demand from the evidence (netsafe.review.thumbnails): blurred and
greyscale unless the request asks otherwise; ``blur=0`` is an unblur, audited before the bytes leave."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from netsafe.accounts.roles import Permission
from netsafe.media import pictures
from netsafe.review.thumbnails import item_thumbnail
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, audit_denied, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(tags=["review"], responses=ERROR_RESPONSES)
REVIEW = Depends(require(Permission.REVIEW))
# Evidence must not land in a browser's disk cache, nor in a proxy's.
NO_STORE = {"Cache-Control": "no-store, private", "Pragma": "no-cache"}


@router.get(
    "/review/items/{item_id}/thumbnail",
    summary="A review item's thumbnail (JPEG; a contact sheet for a video)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def thumbnail(
    request: Request,
    item_id: RowId,
    blur: Annotated[int, Query(ge=0, le=pictures.MAX_BLUR, description="0: unblurred (audited)")] = (
        pictures.DEFAULT_BLUR
    ),
    colour: Annotated[bool, Query(description="false: greyscale")] = False,
    size: Annotated[int, Query(ge=pictures.MIN_SIZE, le=pictures.MAX_SIZE)] = pictures.DEFAULT_SIZE,
    principal: Principal = REVIEW,
) -> Response:
    if blur == 0 and principal.token_id is None:
        _own_page_only(request, principal)
    shown = item_thumbnail(
        state_of(request).db,
        actor_of(request, principal),
        item_id,
        pictures.ThumbOptions(size=size, blur=blur, colour=colour),
        principal.username or "",  # a token nobody owns: the unblur is refused, naming why
    )
    return Response(shown.data, media_type=shown.media_type, headers=NO_STORE)


def _own_page_only(request: Request, principal: Principal) -> None:
    """An unblur with a session cookie must come from our own page. A GET carries no CSRF token, and a
    link on another site (or typed into the address bar) would otherwise show a reviewer an item sharp
    that they did not choose to see; browsers say where a request comes from in Sec-Fetch-Site."""
    if request.headers.get("sec-fetch-site") != "same-origin":
        audit_denied(request, 403, "unblur not from the review page", principal)
        raise ApiError(403, "an unblurred thumbnail is shown only from the review page", code="forbidden")
