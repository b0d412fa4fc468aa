"""The public Remove my image pages: the page that hashes on the device, and the status page.

No login and no cookie. The status page answers only to a request's reference with its secret: a wrong
pair shows the same blank form, whichever part was wrong. Guessing is held off by the memory-only rate
limit the API uses.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from netsafe.remove import service
from netsafe.web.api.remove import limit_of
from netsafe.web.auth import client_ip
from netsafe.web.pages.hotline import vault_of
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
# Nothing the person sees is worth a cache's copy, and nothing should tell a later user of the phone.
PRIVATE = {"Cache-Control": "no-store"}
WORDS = {
    "received": "we have your fingerprints.",
    "verified": "we have your fingerprints and an analyst has checked the request.",
    "not_confirmed": "an analyst looked at your picture and could not confirm it is one we can block, so "
    "its fingerprints are not shared.",
    "withdrawn": "you took the fingerprints back. They are no longer shared.",
}


@router.get("/remove", response_class=HTMLResponse)
def remove_page(request: Request) -> Response:
    settings = state_of(request).settings.remove
    return page(
        request,
        "remove.html",
        None,
        headers=PRIVATE,
        helpline_text=settings.helpline_text,
        helpline_links=settings.helpline_links,
        uploads=settings.uploads,
        max_upload_bytes=settings.max_upload_bytes,
    )


def _status(request: Request, status_code: int = 200, **context: object) -> Response:
    values: dict[str, object] = {"view": None, "wrong": False, "busy": False, "secret": "", "words": WORDS}
    values.update(context)
    helpline = state_of(request).settings.remove.helpline_text
    return page(
        request,
        "remove_status.html",
        None,
        status_code=status_code,
        headers=PRIVATE,
        helpline_text=helpline,
        **values,
    )


@router.get("/remove/status", response_class=HTMLResponse)
def status_form(request: Request) -> Response:
    return _status(request)


@router.post("/remove/status", response_class=HTMLResponse)
def status_check(
    request: Request,
    reference: Annotated[str, Form(max_length=32)] = "",
    secret: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=16)] = "show",
) -> Response:
    if limit_of(request).take(client_ip(request)) > 0:
        return _status(request, 429, busy=True)
    db = state_of(request).db
    if action == "withdraw":
        view = service.withdraw_own(db, reference, secret, vault=lambda: vault_of(request))
    else:
        view = service.status(db, reference, secret)
    if view is None:
        return _status(request, 200, wrong=bool(reference or secret))
    return _status(request, 200, view=view, secret=secret.strip().upper())
