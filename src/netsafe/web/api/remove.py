"""Remove my image over HTTP: the page sends a request's hashes, or (the second way) one picture for an
analyst to assess (public, no account, no cookie); analysts list and verify requests (``hotline``). Routes
only translate to :mod:`netsafe.remove.service` and :mod:`netsafe.remove.upload`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool

from netsafe.accounts.roles import Permission
from netsafe.remove import service, upload
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, client_ip, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.pages.hotline import vault_of
from netsafe.web.pages.report_public import MemoryLimit
from netsafe.web.state import state_of

router = APIRouter(tags=["remove"], responses=ERROR_RESPONSES)
HOTLINE = Depends(require(Permission.HOTLINE))


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    md5: StrictStr | None = Field(default=None, max_length=32, description="hex, from the device")
    sha256: StrictStr | None = Field(default=None, max_length=64, description="hex, from the device")
    pdq: StrictStr | None = Field(default=None, max_length=64, description="PDQ, 64 hex digits")
    pdq_quality: StrictInt | None = Field(default=None, ge=0, le=100)


class RequestIn(BaseModel):
    """Only hashes: the body has no field for a picture, a name or anything else about the person."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn] = Field(min_length=1, max_length=100)
    age_under_18: StrictBool


class RequestOut(BaseModel):
    reference: str
    secret: str
    status: str


def limit_of(request: Request) -> MemoryLimit:
    app_state = request.app.state
    limit: MemoryLimit | None = getattr(app_state, "remove_public_limit", None)
    if limit is None:
        limit = MemoryLimit(state_of(request).settings.remove.rate_per_minute)
        app_state.remove_public_limit = limit
    return limit


@router.post(
    "/remove-requests",
    response_model=RequestOut,
    status_code=201,
    summary="Send a young person's hashes (public: no account; only hashes, never a picture)",
)
def submit_request(request: Request, body: RequestIn) -> RequestOut:
    wait = limit_of(request).take(client_ip(request))
    if wait > 0:
        raise ApiError(429, f"too many requests from here just now: try again in {int(wait) + 1} seconds")
    items = [
        service.NewItem(i.md5, i.sha256, i.pdq, i.pdq_quality, where=f"items[{n}]")
        for n, i in enumerate(body.items)
    ]
    got = service.submit(state_of(request).db, state_of(request).settings.remove, items, body.age_under_18)
    return RequestOut(reference=got.reference, secret=got.secret, status=got.status)


@router.post(
    "/remove-requests/upload",
    response_model=RequestOut,
    status_code=201,
    summary="Send one picture for an analyst to assess (public: no account; the body is the file itself)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def submit_upload(request: Request, age_under_18: Annotated[bool, Query()] = True) -> RequestOut:
    wait = limit_of(request).take(client_ip(request))
    if wait > 0:
        raise ApiError(429, f"too many requests from here just now: try again in {int(wait) + 1} seconds")
    # The raw body, read into memory (capped by the body limit as it streams): a multipart form would
    # spool a large picture to a temporary file in plaintext before the vault sealed it.
    data = await request.body()
    state = state_of(request)
    limit = min(state.settings.max_upload_bytes, state.settings.remove.max_upload_bytes)
    if len(data) > limit:
        raise ApiError(413, f"file over the limit of {limit} bytes: choose a smaller photo or video")
    got = await run_in_threadpool(
        upload.submit_upload, state.db, state.settings.remove, vault_of(request), data, age_under_18
    )
    return RequestOut(reference=got.reference, secret=got.secret, status=got.status)


@router.get("/remove-requests", summary="List remove requests, newest first")
def list_requests(
    request: Request,
    status: Annotated[str | None, Query(max_length=16)] = None,
    _: Principal = HOTLINE,
) -> list[dict[str, Any]]:
    return service.list_requests(state_of(request).db, status)


@router.post("/remove-requests/{reference}/verify", summary="Verify a request (shares its hashes if not yet)")
def verify_request(
    request: Request,
    reference: Annotated[str, Path(max_length=32)],
    principal: Principal = HOTLINE,
) -> dict[str, Any]:
    return service.verify(state_of(request).db, actor_of(request, principal), reference)


@router.post("/remove-requests/{reference}/withdraw", summary="Withdraw a request: its hashes leave the set")
def withdraw_request(
    request: Request,
    reference: Annotated[str, Path(max_length=32)],
    principal: Principal = HOTLINE,
) -> dict[str, Any]:
    return service.withdraw(
        state_of(request).db, actor_of(request, principal), reference, vault=lambda: vault_of(request)
    )
