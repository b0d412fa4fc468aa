"""Remove my image for analysts: the requests and their status (``hotline``); verifying and withdrawing
are the API's and the command line's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from netsafe.accounts.roles import Permission
from netsafe.remove import service
from netsafe.services.accounts import Principal
from netsafe.web.auth import require_page
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
HOTLINE = Depends(require_page(Permission.HOTLINE))


@router.get("/hotline/remove", response_class=HTMLResponse)
def requests_page(
    request: Request,
    status: Annotated[str | None, Query(max_length=16)] = None,
    principal: Principal = HOTLINE,
) -> Response:
    wanted = status if status in service.STATUSES else None
    found = service.list_requests(state_of(request).db, wanted)
    return page(
        request,
        "remove_requests.html",
        principal,
        active="hotline",
        requests=found,
        status=wanted,
        statuses=service.STATUSES,
        policy=state_of(request).settings.remove,
    )
