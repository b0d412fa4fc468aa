"""The hotline over HTTP: partners submit reports (scope ``report``); analysts read, assess and work
them (``hotline``). Each route only translates to one of the hotline's services, which checks, changes
and audits in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from netsafe.accounts.roles import Permission
from netsafe.hotline import (
    assessment,
    capturing,
    closing,
    intake,
    monitor,
    notify,
    stats,
    tracing,
    urllist,
    views,
)
from netsafe.hotline.assessment import ItemGrade, Verdict
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES
from netsafe.web.pages.hotline import vault_of
from netsafe.web.state import state_of

router = APIRouter(tags=["hotline"], responses=ERROR_RESPONSES)
REPORTER = Depends(require(Permission.REPORT))
HOTLINE = Depends(require(Permission.HOTLINE))
AUTHORISER = Depends(require(Permission.HOTLINE_AUTHORISE))


class ReportIn(BaseModel):
    url: str = Field(min_length=1, max_length=8192, description="the page's address (http or https)")
    description: str | None = Field(default=None, max_length=20_000, description="what was seen")
    email: str | None = Field(default=None, max_length=1000, description="for a reference and feedback")


class ReportsIn(BaseModel):
    """One report (``url``...) or a batch (``reports``), not both."""

    url: str | None = Field(default=None, max_length=8192)
    description: str | None = Field(default=None, max_length=20_000)
    email: str | None = Field(default=None, max_length=1000)
    reports: list[ReportIn] | None = Field(default=None, min_length=1, max_length=intake.MAX_BATCH)

    @model_validator(mode="after")
    def _one_or_batch(self) -> ReportsIn:
        if (self.url is None) == (self.reports is None):
            raise ValueError("give either url (one report) or reports (a batch)")
        return self


class IntakeOut(BaseModel):
    reference: str
    status: str
    duplicate_of: str | None
    linked_to: str | None


class BatchOut(BaseModel):
    reports: list[IntakeOut]


@router.post(
    "/reports",
    response_model=IntakeOut | BatchOut,
    status_code=201,
    summary="Report a URL, or a batch of URLs (all or none)",
)
def submit_reports(
    request: Request, body: ReportsIn, principal: Principal = REPORTER
) -> IntakeOut | BatchOut:
    if body.reports is None:
        assert body.url is not None
        items = [intake.NewReport(body.url, body.description, body.email)]
    else:
        items = [
            intake.NewReport(r.url, r.description, r.email, where=f"reports[{n}].url")
            for n, r in enumerate(body.reports)
        ]
    source = f"partner:{principal.token_name or principal.username}"
    out = intake.submit(state_of(request).db, actor_of(request, principal), items, source)
    if body.reports is None:
        return IntakeOut(**out[0].as_dict())
    return BatchOut(reports=[IntakeOut(**o.as_dict()) for o in out])


@router.get("/reports", summary="Reports, oldest first")
def list_reports(
    request: Request,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=views.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    _: Principal = HOTLINE,
) -> list[dict[str, Any]]:
    return views.list_reports(state_of(request).db, status, limit, offset)


@router.get("/reports/{reference}", summary="One report in full (items by hash, never content)")
def show_report(request: Request, reference: str, _: Principal = HOTLINE) -> dict[str, Any]:
    return views.show(state_of(request).db, reference)


class ItemGradeIn(BaseModel):
    item: int = Field(ge=1, le=2**63 - 1)
    category: str | None = Field(default=None, max_length=8)
    age_band: str | None = Field(default=None, max_length=8)
    sex: str | None = Field(default=None, max_length=20)
    self_generated: bool = False
    commercial: bool = False
    add_to: str | None = Field(default=None, max_length=200, description="a hash set: the grade is a vote")


class AssessmentIn(BaseModel):
    outcome: str = Field(max_length=32, description="criminal, not_criminal or outside_remit")
    site_type: str | None = Field(default=None, max_length=32)
    category: str | None = Field(default=None, max_length=8)
    age_band: str | None = Field(default=None, max_length=8)
    sex: str | None = Field(default=None, max_length=20)
    self_generated: bool = False
    commercial: bool = False
    items: list[ItemGradeIn] = Field(default_factory=list, max_length=1000)
    comment: str | None = Field(default=None, max_length=4000)
    appeal: bool = Field(default=False, description="a second analyst's re-assessment; both are kept")


@router.post("/reports/{reference}/assessment", summary="Assess a report (or appeal its assessment)")
def assess_report(
    request: Request, reference: str, body: AssessmentIn, principal: Principal = HOTLINE
) -> dict[str, Any]:
    verdict = Verdict(
        assessment.parse_outcome(body.outcome),
        site_type=body.site_type,
        category=body.category,
        age_band=body.age_band,
        sex=body.sex,
        self_generated=body.self_generated,
        commercial=body.commercial,
        items=[
            ItemGrade(i.item, i.category, i.age_band, i.sex, i.self_generated, i.commercial, i.add_to)
            for i in body.items
        ],
        comment=body.comment,
    )
    out = assessment.assess(
        state_of(request).db,
        actor_of(request, principal),
        principal.username or principal.label,
        reference,
        verdict,
        appeal=body.appeal,
        vault=lambda: vault_of(request),
    )
    if out["votes"]:
        state_of(request).matcher.changed()
    return out


@router.post("/reports/{reference}/capture", summary="Capture the reported page and its media")
def capture_report(request: Request, reference: str, principal: Principal = HOTLINE) -> dict[str, Any]:
    state = state_of(request)
    return capturing.capture(
        state.db,
        actor_of(request, principal),
        reference,
        settings=state.settings.hotline,
        matcher=state.matcher.matcher,
        vault=vault_of(request),
    )


@router.post("/reports/{reference}/trace", summary="Trace a confirmed report's host and route it")
def trace_report(request: Request, reference: str, principal: Principal = HOTLINE) -> dict[str, Any]:
    state = state_of(request)
    return tracing.trace(state.db, actor_of(request, principal), reference, settings=state.settings.hotline)


@router.post("/hotline/notify", summary="Send the notices due now, one email per recipient")
def send_notices(request: Request, principal: Principal = HOTLINE) -> dict[str, list[dict[str, Any]]]:
    state = state_of(request)
    return notify.notify(state.db, actor_of(request, principal), settings=state.settings.hotline)


@router.get("/hotline/notices", summary="Notices awaiting authorisation")
def awaiting_notices(request: Request, _: Principal = HOTLINE) -> list[dict[str, Any]]:
    return notify.awaiting(state_of(request).db)


class DecisionIn(BaseModel):
    approve: bool = Field(description="true: send it now; false: refuse it")


@router.post(
    "/hotline/notices/{batch}/authorise", summary="Approve or refuse a notice awaiting authorisation"
)
def authorise_notice(
    request: Request,
    batch: Annotated[str, Path(max_length=64)],
    body: DecisionIn,
    principal: Principal = AUTHORISER,
) -> dict[str, list[dict[str, Any]]]:
    state = state_of(request)
    return notify.authorise(
        state.db,
        actor_of(request, principal),
        principal.username or principal.label,
        batch,
        approve=body.approve,
        settings=state.settings.hotline,
    )


@router.post("/hotline/monitor", summary="Check the notified URLs due for a check")
def run_monitor(request: Request, principal: Principal = HOTLINE) -> list[dict[str, Any]]:
    state = state_of(request)
    return monitor.monitor(state.db, actor_of(request, principal), settings=state.settings.hotline)


@router.get("/hotline/urllist", summary="The live confirmed URLs (txt, csv or json)")
def url_list(
    request: Request, format: Annotated[str, Query(max_length=8)] = "json", _: Principal = HOTLINE
) -> Response:
    fmt = urllist.check_format(format)
    text = urllist.render(urllist.live_urls(state_of(request).db), fmt)
    return Response(text, media_type=urllist.MEDIA_TYPES[fmt])


@router.get("/hotline/stats", summary="Reports received, assessed, confirmed; time to removal")
def hotline_stats(request: Request, _: Principal = HOTLINE) -> dict[str, Any]:
    return stats.stats(state_of(request).db)


class CloseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/reports/{reference}/close", summary="Close a report by hand (no more notices or checks)")
def close_report(
    request: Request, reference: str, body: CloseIn, principal: Principal = HOTLINE
) -> dict[str, Any]:
    return closing.close(state_of(request).db, actor_of(request, principal), reference, body.reason)
