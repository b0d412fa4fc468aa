"""Case pages: the queue with overdue marks and the figures, a case, the assessment form, an operation.

Every page and form needs the ``cases`` permission and calls the same service as the API and the command
line; each view is audited there. Forms post with the session's CSRF token and redirect to the case page
(post/redirect/get), or show the form again with the one-line error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netsafe.accounts.roles import Permission
from netsafe.cases import service
from netsafe.cases.riskmodel import model_in_force
from netsafe.cases.rules import parse_answer
from netsafe.cases.vocab import (
    ACTION_LABELS,
    SOURCE_LABELS,
    ActionKind,
    CaseInputError,
    Offence,
    Source,
    Status,
    parse_choice,
    parse_day,
)
from netsafe.errors import Conflict, Forbidden, InvalidInput, NotFound
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, check_csrf, require_page
from netsafe.web.errors import status_for
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
INVESTIGATOR = Depends(require_page(Permission.CASES))
# Errors a form shows beside itself; other kinds get the error page.
SHOWN = (InvalidInput, NotFound, Conflict, Forbidden)
MAX_FIELDS = 300
# Rows of the queue a page shows: the top of it is what needs acting on; the API and the CLI give it all.
PAGE_ROWS = 500
NEW_CASE_FIELDS = (
    "reference", "source", "received", "referral_reference", "subject_label", "subject_name",
    "subject_birth_year", "officer", "operation",
)  # fmt: skip


def _case_url(reference: str) -> str:
    return f"/cases/{quote(reference, safe='')}"


def _text(form: Any, name: str, limit: int = 500) -> str:
    return str(form.get(name, ""))[:limit].strip()


def _queue_page(
    request: Request,
    principal: Principal,
    as_of: date | None = None,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    db, actor = state_of(request).db, actor_of(request, principal)
    queue = service.case_queue(db, actor, as_of)
    figures = service.case_figures(db, actor, as_of)
    return page(
        request,
        "cases.html",
        principal,
        status_code=status_code,
        queue=queue[:PAGE_ROWS],
        more=max(0, len(queue) - PAGE_ROWS),
        figures=figures,
        as_of=as_of.isoformat() if as_of else "",
        sources=SOURCE_LABELS,
        error=error,
        form=form or {},
        today=date.today().isoformat(),
    )


@router.get("/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    as_of: Annotated[str, Query(max_length=20)] = "",
    principal: Principal = INVESTIGATOR,
) -> Response:
    try:
        day = parse_day(as_of, "as of") if as_of.strip() else None
    except CaseInputError as err:
        return _queue_page(request, principal, status_code=422, error=str(err))
    return _queue_page(request, principal, day)


@router.post("/cases", response_class=HTMLResponse)
async def cases_add(request: Request, principal: Principal = INVESTIGATOR) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, principal, _text(form, "csrf_token", 200))
    given = {k: _text(form, k) for k in NEW_CASE_FIELDS}
    try:
        new = service.NewCase(
            reference=given["reference"],
            source=parse_choice(Source, given["source"], "source"),
            received=parse_day(given["received"], "received"),
            referral_reference=given["referral_reference"] or None,
            subject_label=given["subject_label"] or None,
            subject_name=given["subject_name"] or None,
            subject_birth_year=_number(given["subject_birth_year"], "year of birth")
            if given["subject_birth_year"]
            else None,
            officer=given["officer"] or None,
            operation=given["operation"] or None,
        )
        out = service.add_case(state_of(request).db, actor_of(request, principal), new)
    except SHOWN as err:
        return _queue_page(request, principal, status_code=status_for(err), error=str(err), form=given)
    return RedirectResponse(_case_url(out["reference"]), status_code=303)


def _case_page(
    request: Request, principal: Principal, reference: str, status_code: int = 200, error: str | None = None
) -> HTMLResponse:
    case = service.show_case(state_of(request).db, actor_of(request, principal), reference)
    return page(
        request,
        "case.html",
        principal,
        status_code=status_code,
        case=case,
        error=error,
        kinds=ACTION_LABELS,
        offences=[o.value for o in Offence],
        statuses=[s.value for s in Status],
        today=date.today().isoformat(),
    )


@router.get("/cases/{reference}", response_class=HTMLResponse)
def case_page(request: Request, reference: str, principal: Principal = INVESTIGATOR) -> Response:
    return _case_page(request, principal, reference)


def _assess_page(
    request: Request,
    principal: Principal,
    reference: str,
    status_code: int = 200,
    error: str | None = None,
    given: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    loaded = model_in_force()
    case = service.show_case(state_of(request).db, actor_of(request, principal), reference)
    if given is None:  # start from the latest assessment's answers
        latest = case["assessment"]["answers"] if case["assessment"] else []
        given = {a["factor"]: {"answer": a["answer"], "source": a["source"] or ""} for a in latest}
    steps = [
        {"title": step.title, "factors": [f for f in loaded.model.factors if f.step == step.id]}
        for step in loaded.model.steps
    ]
    return page(
        request,
        "case_assess.html",
        principal,
        status_code=status_code,
        case=case,
        model=loaded.model,
        steps=steps,
        given=given,
        error=error,
    )


@router.get("/cases/{reference}/assess", response_class=HTMLResponse)
def assess_form(request: Request, reference: str, principal: Principal = INVESTIGATOR) -> Response:
    return _assess_page(request, principal, reference)


@router.post("/cases/{reference}/assess", response_class=HTMLResponse)
async def assess_submit(request: Request, reference: str, principal: Principal = INVESTIGATOR) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, principal, _text(form, "csrf_token", 200))
    given: dict[str, dict[str, str]] = {}
    for key in form:
        if key.startswith("answer."):
            factor = key.removeprefix("answer.")[:48]
            given[factor] = {"answer": _text(form, key, 20), "source": _text(form, f"source.{factor}", 300)}
    try:
        answers = {k: service.Given(parse_answer(v["answer"]), v["source"] or None) for k, v in given.items()}
        service.assess_case(
            state_of(request).db, actor_of(request, principal), reference, answers, by=principal.username
        )
    except SHOWN as err:
        return _assess_page(request, principal, reference, status_for(err), str(err), given)
    return RedirectResponse(_case_url(reference), status_code=303)


@router.post("/cases/{reference}/actions", response_class=HTMLResponse)
async def action_submit(request: Request, reference: str, principal: Principal = INVESTIGATOR) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, principal, _text(form, "csrf_token", 200))
    try:
        offence = _text(form, "offence", 40)
        devices = _text(form, "devices", 10)
        action = service.NewAction(
            kind=parse_choice(ActionKind, _text(form, "kind", 40), "kind"),
            on=parse_day(_text(form, "on", 20), "date") if _text(form, "on", 20) else None,
            offence=parse_choice(Offence, offence, "offence") if offence else None,
            children_safeguarded=_number(_text(form, "children_safeguarded", 10) or "0", "children"),
            devices=_number(devices, "devices") if devices else None,
            note=_text(form, "note") or None,
        )
        service.record_action(
            state_of(request).db, actor_of(request, principal), reference, action, by=principal.username
        )
    except SHOWN as err:
        return _case_page(request, principal, reference, status_for(err), str(err))
    return RedirectResponse(_case_url(reference), status_code=303)


def _number(text: str, what: str) -> int:
    if not text.isdigit():
        raise CaseInputError(f"{what}: give a whole number")
    return int(text)


@router.post("/cases/{reference}/links", response_class=HTMLResponse)
async def link_submit(request: Request, reference: str, principal: Principal = INVESTIGATOR) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, principal, _text(form, "csrf_token", 200))
    db, actor = state_of(request).db, actor_of(request, principal)
    scan, report = _text(form, "scan_id", 20), _text(form, "report", 200)
    try:
        if bool(scan) == bool(report):
            raise CaseInputError("give either a scan id or a hotline report reference")
        if scan:
            exhibit = _text(form, "exhibit", 100) or None
            service.link_scan(db, actor, reference, _number(scan, "scan id"), exhibit)
        else:
            service.link_report(db, actor, reference, report)
    except SHOWN as err:
        return _case_page(request, principal, reference, status_for(err), str(err))
    return RedirectResponse(_case_url(reference), status_code=303)


@router.post("/cases/{reference}/status", response_class=HTMLResponse)
async def status_submit(request: Request, reference: str, principal: Principal = INVESTIGATOR) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, principal, _text(form, "csrf_token", 200))
    try:
        status = parse_choice(Status, _text(form, "status", 40), "status")
        service.set_status(state_of(request).db, actor_of(request, principal), reference, status)
    except SHOWN as err:
        return _case_page(request, principal, reference, status_for(err), str(err))
    return RedirectResponse(_case_url(reference), status_code=303)


@router.get("/operations/{name}", response_class=HTMLResponse)
def operation_page(request: Request, name: str, principal: Principal = INVESTIGATOR) -> Response:
    operation = service.show_operation(state_of(request).db, actor_of(request, principal), name)
    return page(request, "operation.html", principal, operation=operation)
