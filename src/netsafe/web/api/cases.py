"""Cases and operations over the same service as ``netsafe case`` (netsafe.cases.service).

Every route needs the ``cases`` permission (investigators and admins; analysts do not have it). The routes
only translate: the caller is the actor, and a person's own name (or a token's owner) answers for an
assessment or an action, checked by the service like the command line's ``--user``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from netsafe.accounts.roles import Permission
from netsafe.cases import service
from netsafe.cases.riskmodel import model_in_force
from netsafe.cases.rules import Answer
from netsafe.cases.vocab import ActionKind, CaseInputError, Offence, Source, Status
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES
from netsafe.web.state import state_of

router = APIRouter(tags=["cases"], responses=ERROR_RESPONSES)
CASES = Depends(require(Permission.CASES))

Reference = Annotated[str, Field(min_length=1, max_length=64)]
AsOf = Annotated[date | None, Query(description="the queue or figures as they stand on this date")]


class QueueEntryOut(BaseModel):
    reference: str
    level: str | None = Field(description="the latest assessment's level; null until assessed")
    level_label: str
    deadline: str = Field(description="received + the level's target (until assessed: the most urgent)")
    overdue: bool
    status: str
    received: str
    days_left: int | None = Field(description="null once the first enforcement action stopped the clock")
    clock: Literal["running", "stopped"]
    first_action: str | None
    operation: str | None


class CaseIn(BaseModel):
    reference: Reference
    source: Source
    received: date
    referral_reference: str | None = Field(default=None, max_length=200)
    subject_label: str | None = Field(default=None, max_length=100, description="pseudonymous; default too")
    subject_name: str | None = Field(default=None, max_length=200, description="optional personal detail")
    subject_birth_year: int | None = Field(default=None, ge=1900, le=2100)
    officer: str | None = Field(default=None, max_length=200)
    operation: str | None = Field(default=None, max_length=200)


class AnswerIn(BaseModel):
    answer: Answer
    source: str | None = Field(default=None, max_length=300, description="where the answer comes from")


class AssessmentIn(BaseModel):
    answers: dict[Annotated[str, Field(max_length=48)], AnswerIn] = Field(
        default_factory=dict, max_length=100, description="factor id -> answer; a factor not given is unknown"
    )


class GapOut(BaseModel):
    factor: str
    question: str
    could_raise_to: str | None


class AssessmentOut(BaseModel):
    reference: str
    level: str
    level_label: str
    rule: str | None
    reasons: list[str]
    gaps: list[GapOut]
    deadline: str


class LinkIn(BaseModel):
    scan_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    exhibit: str | None = Field(default=None, max_length=100)
    report: str | None = Field(default=None, max_length=200, description="a hotline report's reference")


class ActionIn(BaseModel):
    kind: ActionKind
    on: date | None = None
    offence: Offence | None = None
    children_safeguarded: int = Field(default=0, ge=0, le=service.MAX_CHILDREN)
    devices: int | None = Field(default=None, ge=0, le=service.MAX_DEVICES)
    note: str | None = Field(default=None, max_length=500)


class ActionOut(BaseModel):
    reference: str
    kind: str
    on: str
    status: str
    first_action: str | None
    counts: dict[str, int] | None


class StatusIn(BaseModel):
    status: Status


class StatusOut(BaseModel):
    reference: str
    status: str


class OperationOut(BaseModel):
    name: str
    cases: int
    arrests: int
    people_charged: int
    children_safeguarded: int
    devices_seized: int


def _by(principal: Principal) -> str | None:
    return principal.username


@router.get("/cases", response_model=list[QueueEntryOut], summary="The queue: by level, then days left")
def list_cases(
    request: Request,
    as_of: AsOf = None,
    include_closed: Annotated[bool, Query(alias="all")] = False,
    principal: Principal = CASES,
) -> list[dict[str, Any]]:
    return service.case_queue(state_of(request).db, actor_of(request, principal), as_of, include_closed)


@router.post("/cases", response_model=QueueEntryOut, status_code=201, summary="Open a case for a referral")
def add_case(request: Request, body: CaseIn, principal: Principal = CASES) -> dict[str, Any]:
    new = service.NewCase(**body.model_dump())
    return service.add_case(state_of(request).db, actor_of(request, principal), new)


@router.get("/cases/figures", summary="Cases by level, time to first action, share meeting the target")
def case_figures(request: Request, as_of: AsOf = None, principal: Principal = CASES) -> dict[str, Any]:
    return service.case_figures(state_of(request).db, actor_of(request, principal), as_of)


@router.get("/cases/model", summary="The risk model in force: factors, levels with targets, rules")
def risk_model(_: Principal = CASES) -> dict[str, Any]:
    loaded = model_in_force()
    return loaded.model.summary() | {"origin": loaded.origin, "digest": loaded.digest}


@router.get("/cases/{reference}", summary="A case: referral, assessment with reasons, evidence, actions")
def show_case(request: Request, reference: str, principal: Principal = CASES) -> dict[str, Any]:
    return service.show_case(state_of(request).db, actor_of(request, principal), reference)


@router.post(
    "/cases/{reference}/assessments",
    response_model=AssessmentOut,
    status_code=201,
    summary="Assess (or re-assess) the case's risk; earlier assessments are kept",
)
def assess_case(
    request: Request, reference: str, body: AssessmentIn, principal: Principal = CASES
) -> dict[str, Any]:
    answers = {k: service.Given(v.answer, v.source) for k, v in body.answers.items()}
    return service.assess_case(
        state_of(request).db, actor_of(request, principal), reference, answers, by=_by(principal)
    )


@router.post(
    "/cases/{reference}/links",
    status_code=201,
    summary="Link a triage scan (to an exhibit) or a hotline report (kept as given)",
)
def link(request: Request, reference: str, body: LinkIn, principal: Principal = CASES) -> dict[str, Any]:
    db, actor = state_of(request).db, actor_of(request, principal)
    if (body.scan_id is None) == (body.report is None):
        raise CaseInputError("give either scan_id or report")
    if body.scan_id is not None:
        return service.link_scan(db, actor, reference, body.scan_id, body.exhibit)
    assert body.report is not None
    return service.link_report(db, actor, reference, body.report)


@router.post(
    "/cases/{reference}/actions",
    response_model=ActionOut,
    status_code=201,
    summary="Record an action; the first enforcement action stops the clock",
)
def record_action(
    request: Request, reference: str, body: ActionIn, principal: Principal = CASES
) -> dict[str, Any]:
    action = service.NewAction(**body.model_dump())
    return service.record_action(
        state_of(request).db, actor_of(request, principal), reference, action, by=_by(principal)
    )


@router.post("/cases/{reference}/status", response_model=StatusOut, summary="Close or reopen a case")
def set_status(
    request: Request, reference: str, body: StatusIn, principal: Principal = CASES
) -> dict[str, Any]:
    return service.set_status(state_of(request).db, actor_of(request, principal), reference, body.status)


@router.get("/operations", response_model=list[OperationOut], summary="Operations with their totals")
def list_operations(request: Request, principal: Principal = CASES) -> list[dict[str, Any]]:
    return service.list_operations(state_of(request).db, actor_of(request, principal))


@router.get("/operations/{name}", summary="An operation: totals, figures and its cases")
def show_operation(request: Request, name: str, principal: Principal = CASES) -> dict[str, Any]:
    return service.show_operation(state_of(request).db, actor_of(request, principal), name)
