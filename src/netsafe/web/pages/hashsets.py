"""Hash-set pages: list, detail (entries per category), import form (curators)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from netsafe.accounts.roles import Permission
from netsafe.hashsets import formats
from netsafe.hashsets.profiles import available_profiles
from netsafe.services import hashsets as hs
from netsafe.services.accounts import Principal
from netsafe.web.api.hashsets import run_import
from netsafe.web.auth import check_csrf, require_page
from netsafe.web.errors import ApiError
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
READER = Depends(require_page(Permission.HASHSETS_READ))
CURATOR = Depends(require_page(Permission.HASHSETS_WRITE))


def _list_page(
    request: Request,
    principal: Principal,
    status_code: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return page(
        request,
        "hashsets.html",
        principal,
        status_code=status_code,
        infos=hs.list_sets(state_of(request).db),
        name_ok=hs.name_ok,
        formats=list(formats.FORMATS),
        profiles=available_profiles(),
        message=message,
        error=error,
    )


@router.get("/hashsets", response_class=HTMLResponse)
def hashsets_page(request: Request, principal: Principal = READER) -> Response:
    return _list_page(request, principal)


@router.post("/hashsets/import", response_class=HTMLResponse)
async def hashsets_import(request: Request, principal: Principal = CURATOR) -> Response:
    form = await request.form(max_files=1, max_fields=10)
    check_csrf(request, principal, str(form.get("csrf_token", "")))
    upload = form.get("file")
    name = str(form.get("name", "")).strip()
    fmt = str(form.get("format", "")).strip() or None
    profile = str(form.get("profile", "")).strip() or None
    if not isinstance(upload, UploadFile) or not name:
        return _list_page(request, principal, 422, error="give a hash set name and choose a file")
    try:
        result = await run_in_threadpool(run_import, request, principal, name, upload, fmt, profile, False)
    except ApiError as err:
        return _list_page(request, principal, err.status, error=err.message)
    return _list_page(
        request,
        principal,
        message=f"imported {result['read']} records into {result['name']} (version {result['version']}): "
        f"{result['added']} added, {result['updated']} updated",
    )


@router.get("/hashsets/{name}", response_class=HTMLResponse)
def hashset_page(request: Request, name: str, principal: Principal = READER) -> Response:
    details = hs.show_set(state_of(request).db, name)  # errors are answered by their kind's page
    return page(request, "hashset.html", principal, details=details)
