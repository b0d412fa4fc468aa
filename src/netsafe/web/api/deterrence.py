"""Deterrence over the same service as ``netsafe deterrence`` (netsafe.deterrence).

``POST /deterrence/check`` is for platforms' tokens (``deterrence``): it says which entry hit and never
echoes the URL or the search. The rest is for curators (``deterrence:manage``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from netsafe.accounts.roles import Permission
from netsafe.deterrence import checking, counting, exports, lists
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES
from netsafe.web.state import state_of

router = APIRouter(tags=["deterrence"], responses=ERROR_RESPONSES)
CHECK = Depends(require(Permission.DETERRENCE))
MANAGE = Depends(require(Permission.DETERRENCE_MANAGE))


class CheckIn(BaseModel):
    url: str | None = Field(default=None, max_length=2048)
    query: str | None = Field(default=None, max_length=checking.MAX_QUERY)


class CheckOut(BaseModel):
    blocked: bool
    kind: Literal["url", "keyword"] | None
    entry_id: int | None
    warning_url: str | None


@router.post("/deterrence/check", response_model=CheckOut, summary="Is this URL or search on a list?")
def check(request: Request, body: CheckIn, _: Principal = CHECK) -> dict[str, Any]:
    state = state_of(request)
    return checking.check(state.db, state.deterrence, url=body.url, query=body.query)


@router.get("/deterrence/lists", summary="The URL and keyword lists with their versions and sizes")
def list_lists(request: Request, _: Principal = MANAGE) -> list[dict[str, Any]]:
    return lists.list_lists(state_of(request).db)


@router.get("/deterrence/lists/{name}/versions", summary="A list's versions: what changed, when, by whom")
def versions(request: Request, name: str, _: Principal = MANAGE) -> list[dict[str, Any]]:
    return lists.list_versions(state_of(request).db, name)


@router.post("/deterrence/sync-hotline", summary="Bring list 'hotline' up to the hotline's live URLs")
def sync_hotline(request: Request, principal: Principal = MANAGE) -> dict[str, Any]:
    return lists.sync_hotline(state_of(request).db, actor_of(request, principal))


@router.get("/deterrence/counts", summary="Checks, warnings and help clicks per entry, variant and day")
def counts(
    request: Request, published: Annotated[bool, Query()] = False, _: Principal = MANAGE
) -> list[dict[str, Any]]:
    state = state_of(request)
    return counting.counts(state.db, published, state.settings.deterrence.min_published_count)


@router.get(
    "/deterrence/counts/published",
    summary="The counts as published, for partners: every cell under min_published_count is null",
)
def published_counts(request: Request, _: Principal = CHECK) -> list[dict[str, Any]]:
    state = state_of(request)
    return counting.counts(state.db, True, state.settings.deterrence.min_published_count)


class ImportIn(BaseModel):
    kind: Literal["url", "keyword"]
    format: Literal["txt", "csv", "json"] = "txt"
    text: str = Field(max_length=50 * 1024 * 1024, description="the list file's content")
    source: str | None = Field(default=None, max_length=200)


@router.post("/deterrence/lists/{name}/import", status_code=201, summary="Add a list file's entries")
def import_list(request: Request, name: str, body: ImportIn, principal: Principal = MANAGE) -> dict[str, Any]:
    return lists.import_list(
        state_of(request).db,
        actor_of(request, principal),
        name,
        body.kind,
        body.text,
        body.format,
        where="text",
        source=body.source,
    )


class RemoveIn(BaseModel):
    entry_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=lists.MAX_REMOVE)


@router.post("/deterrence/lists/{name}/remove", summary="Remove entries (kept, marked removed at a version)")
def remove_entries(
    request: Request, name: str, body: RemoveIn, principal: Principal = MANAGE
) -> dict[str, Any]:
    return lists.remove_entries(state_of(request).db, actor_of(request, principal), name, body.entry_ids)


@router.get("/deterrence/export", summary="The URL list as an RPZ zone, a Squid list, a hosts file or text")
def export(
    request: Request,
    fmt: Annotated[str, Query(alias="format")] = "txt",
    rpz_target: Annotated[str, Query(max_length=253, pattern=r"^[A-Za-z0-9.-]+$")] = ".",
    _: Principal = MANAGE,
) -> Response:
    body = exports.render(lists.live_entries(state_of(request).db, "url"), fmt, rpz_target)
    return Response(body, media_type="text/plain; charset=utf-8")
