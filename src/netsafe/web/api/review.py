"""Scans and their review over the same services as ``netsafe review`` and ``netsafe scan report``
(netsafe.review.service). The routes only translate: the grader is the signed-in user (or the token's
owner), whose role the service checks again in its transaction; errors are raised as their kinds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from netsafe.accounts.roles import Permission
from netsafe.errors import InvalidInput
from netsafe.review import service
from netsafe.services.accounts import Principal
from netsafe.triage.report import REPORT_FILES
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(tags=["scans and review"], responses=ERROR_RESPONSES)
SCANS = Depends(require(Permission.SCANS))
REVIEW = Depends(require(Permission.REVIEW))
SETTLE = Depends(require(Permission.REVIEW_SETTLE))
ADMIN = Depends(require(Permission.ADMIN))
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
MAX_GRADES_FILE = 16 << 20
MEDIA_TYPES = {
    "report.json": "application/json",
    "report.csv": "text/csv; charset=utf-8",
    "categories.csv": "text/csv; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
    "vics.json": "application/json",
}


def thumbnail_url(item_id: int) -> str:
    return f"/api/v1/review/items/{item_id}/thumbnail"


def _user(principal: Principal) -> str:
    return principal.username or ""  # a token nobody owns: the service refuses it, naming why


def _settings(request: Request) -> service.ReviewSettings:
    return state_of(request).settings.review


@router.get("/scans", summary="Scans, newest first: evidence, examiner, status, counts by category")
def list_scans(
    request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100, _: Principal = SCANS
) -> list[dict[str, Any]]:
    return [s.as_dict() for s in service.list_scans(state_of(request).db, _settings(request), limit)]


@router.get("/scans/{scan_id}", summary="One scan")
def one_scan(request: Request, scan_id: RowId, _: Principal = SCANS) -> dict[str, Any]:
    return service.scan_summary(state_of(request).db, _settings(request), scan_id).as_dict()


@router.get(
    "/scans/{scan_id}/report/{file}",
    summary="A report file of the scan, made now from the store with the grades made since",
    response_class=Response,
)
def report_download(request: Request, scan_id: RowId, file: str, principal: Principal = SCANS) -> Response:
    data = service.report_file(
        state_of(request).db, actor_of(request, principal), _settings(request), scan_id, file
    )
    return Response(
        data,
        media_type=MEDIA_TYPES.get(file, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="scan-{scan_id}-{file}"'},
    )


@router.get("/scans/{scan_id}/review", summary="A page of the scan's review groups with their items")
def review_groups(
    request: Request,
    scan_id: RowId,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    state: str | None = None,
    principal: Principal = REVIEW,
) -> dict[str, Any]:
    page = service.list_groups(
        state_of(request).db,
        actor_of(request, principal),
        scan_id,
        _settings(request),
        offset=offset,
        limit=limit,
        state=state,
    )
    out = page.as_dict()
    for group in out["groups"]:
        for item in group["items"]:
            item["thumbnail"] = thumbnail_url(item["item"])
    out["categories"] = [
        {"code": c, "label": label}
        for c, label in service.categories_of(state_of(request).db, _settings(request), scan_id)
    ]
    return out


class GradeIn(BaseModel):
    category: str = Field(min_length=1, max_length=64, description="a code, label or alias of the profile")


class ItemsGradeIn(GradeIn):
    item_ids: list[Id] = Field(min_length=1, max_length=10_000)


class ItemsIn(BaseModel):
    item_ids: list[Id] = Field(min_length=1, max_length=10_000)


class SettleIn(BaseModel):
    category: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=1000, description="why: recorded with the grade")


# The items' routes first: /review/items/grade would otherwise be read as group "items".
@router.post("/review/items/grade", summary="Grade some items (a vote on each)")
def grade_items(request: Request, body: ItemsGradeIn, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.grade(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        category=body.category,
        item_ids=list(body.item_ids),
    ).as_dict()


@router.post("/review/items/ignore", summary="Mark some items as ignore")
def ignore_items(request: Request, body: ItemsIn, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.ignore(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        item_ids=list(body.item_ids),
    ).as_dict()


@router.post("/review/{group_id}/grade", summary="Grade every item of a group (a vote on each)")
def grade_group(
    request: Request, group_id: RowId, body: GradeIn, principal: Principal = REVIEW
) -> dict[str, Any]:
    return service.grade(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        category=body.category,
        group_id=group_id,
    ).as_dict()


@router.post("/review/{group_id}/ignore", summary="Mark every item of a group as ignore (not pertinent)")
def ignore_group(request: Request, group_id: RowId, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.ignore(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        group_id=group_id,
    ).as_dict()


@router.post("/scans/{scan_id}/review/undo", summary="Take back your last grade or ignore in this scan")
def undo(request: Request, scan_id: RowId, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.undo_last(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        scan_id=scan_id,
    ).as_dict()


@router.post("/scans/{scan_id}/review/import", summary="Grades made in another tool: grades.csv")
async def import_grades(
    request: Request, scan_id: RowId, file: UploadFile = File(...), principal: Principal = REVIEW
) -> dict[str, Any]:
    data = await file.read(MAX_GRADES_FILE + 1)
    if len(data) > MAX_GRADES_FILE:
        raise InvalidInput(f"grades file: larger than {MAX_GRADES_FILE >> 20} MiB: split it")
    name = (file.filename or "grades.csv").rsplit("/", 1)[-1][:100]
    return service.import_grades(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        scan_id=scan_id,
        data=data,
        name=name,
    ).as_dict()


@router.post("/review/items/{item_id}/settle", summary="Settle an item's grade, with a reason (seniors)")
def settle(request: Request, item_id: RowId, body: SettleIn, principal: Principal = SETTLE) -> dict[str, Any]:
    return service.settle(
        state_of(request).db,
        actor_of(request, principal),
        _settings(request),
        user=_user(principal),
        item_id=item_id,
        category=body.category,
        reason=body.reason,
    ).as_dict()


@router.get("/review/disputes", summary="Graded items whose graders disagree (seniors)")
def disputes(request: Request, principal: Principal = SETTLE) -> list[dict[str, Any]]:
    found = service.disputes(state_of(request).db, _settings(request), user=_user(principal))
    return [d.as_dict() for d in found]


@router.post("/review/items/{item_id}/unblur", summary="Record that you unblurred an item (an audit event)")
def unblur(request: Request, item_id: RowId, principal: Principal = REVIEW) -> dict[str, Any]:
    today = service.record_unblur(
        state_of(request).db, actor_of(request, principal), _user(principal), item_id
    )
    return {"item": item_id, "unblurred_today": today}


class TimeIn(BaseModel):
    seconds: float = Field(gt=0, le=300)


@router.post("/review/time", summary="Add time spent reviewing (the page reports it)")
def review_time(request: Request, body: TimeIn, principal: Principal = REVIEW) -> dict[str, Any]:
    seconds = service.record_time(state_of(request).db, _user(principal), body.seconds)
    return {"today_minutes": round(seconds / 60, 1)}


@router.get("/review/exposure", summary="Your own exposure: items unblurred and minutes, today and this week")
def exposure(request: Request, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.my_exposure(state_of(request).db, _settings(request), _user(principal)).as_dict()


@router.get("/review/exposure/totals", summary="All reviewers' exposure summed, never per person (admins)")
def exposure_totals(request: Request, principal: Principal = ADMIN) -> dict[str, Any]:
    return service.exposure_totals(state_of(request).db, _user(principal)).as_dict()


class PrefsIn(BaseModel):
    blur: int = Field(ge=0, le=100)
    colour: bool
    size: int = Field(ge=64, le=512)


@router.get("/review/settings", summary="Your review settings: blur, colour, thumbnail size")
def get_settings(request: Request, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.get_prefs(state_of(request).db, _user(principal)).as_dict()


@router.put("/review/settings", summary="Change your review settings")
def put_settings(request: Request, body: PrefsIn, principal: Principal = REVIEW) -> dict[str, Any]:
    return service.save_prefs(
        state_of(request).db,
        actor_of(request, principal),
        _user(principal),
        blur=body.blur,
        colour=body.colour,
        size=body.size,
    ).as_dict()


__all__ = ["REPORT_FILES", "router", "thumbnail_url"]
