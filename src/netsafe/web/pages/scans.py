"""Scan pages: the list (with report downloads), one scan with its live progress, and the form that
starts a scan on a server-side path under the evidence roots. The services are review-core's (the list,
the summary with grades, the reports made again with them: netsafe.review.service) and
netsafe.review.scan_start (starting and progress); these routes only translate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netsafe.accounts.roles import Permission
from netsafe.errors import NetsafeError
from netsafe.review import service
from netsafe.review.scan_start import scan_progress, start_scan
from netsafe.services import hashsets as hs
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, check_csrf, require_page
from netsafe.web.errors import status_for
from netsafe.web.pages.render import page
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
READER = Depends(require_page(Permission.SCANS))
RUNNER = Depends(require_page(Permission.SCANS_RUN))
PAGE = 100
REPORT_TYPES = {
    "report.json": "application/json",
    "report.csv": "text/csv; charset=utf-8",
    "categories.csv": "text/csv; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
    "vics.json": "application/json",
}


def _list_page(
    request: Request,
    principal: Principal,
    status_code: int = 200,
    error: str | None = None,
    message: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    state = state_of(request)
    scans = service.list_scans(state.db, state.settings.review, PAGE)
    roots = [str(r) for r in state.settings.review.evidence_roots]
    return page(
        request,
        "scans.html",
        principal,
        status_code=status_code,
        active="scans",
        scans=[s.as_dict() for s in scans],
        roots=roots,
        hashsets=[i.name for i in hs.list_sets(state.db)] if roots else [],
        error=error,
        message=message,
        form=form or {"path": roots[0] if roots else "", "examiner": ""},
    )


@router.get("/scans", response_class=HTMLResponse)
def scans_page(request: Request, principal: Principal = READER) -> Response:
    return _list_page(request, principal)


@router.post("/scans", response_class=HTMLResponse)
def scans_start(
    request: Request,
    path: Annotated[str, Form(max_length=4096)] = "",
    examiner: Annotated[str, Form(max_length=200)] = "",
    hashsets: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    principal: Principal = RUNNER,
) -> Response:
    check_csrf(request, principal, csrf_token)
    state = state_of(request)
    try:
        started = start_scan(
            state.db,
            actor_of(request, principal),
            state.settings.review,
            path,
            examiner=examiner.strip() or None,
            hashsets=tuple(h for h in hashsets or () if h),
            runner=state.scans,
        )
    except NetsafeError as err:
        form = {"path": path, "examiner": examiner}
        return _list_page(request, principal, status_for(err), error=" ".join(str(err).split()), form=form)
    if started.scan is None:
        ahead = (
            f" after {started.queued} other scan{'s' if started.queued != 1 else ''}"
            if started.queued
            else ""
        )
        return _list_page(request, principal, message=f"the scan is starting{ahead}: it appears here shortly")
    return RedirectResponse(f"/scans/{started.scan.id}", status_code=303)


@router.get("/scans/{scan_id}", response_class=HTMLResponse)
def scan_page(request: Request, scan_id: RowId, principal: Principal = READER) -> Response:
    state = state_of(request)
    scan = scan_progress(state.db, scan_id)
    # Once finished: the counts with the grades made since, and where review stands.
    summary = (
        service.scan_summary(state.db, state.settings.review, scan_id).as_dict()
        if scan["status"] == "finished"
        else None
    )
    return page(request, "scan.html", principal, active="scans", scan=scan, summary=summary)


@router.get("/scans/{scan_id}/progress", response_class=HTMLResponse)
def scan_progress_fragment(request: Request, scan_id: RowId, principal: Principal = READER) -> Response:
    state = state_of(request)
    scan = scan_progress(state.db, scan_id)
    # The poll that sees the scan end reloads the page, which then shows the counts with grades.
    done = scan["status"] not in ("running", "reporting") and bool(request.headers.get("HX-Request"))
    headers = {"HX-Refresh": "true"} if done else None
    return page(request, "scan_progress.html", principal, headers=headers, scan=scan)


@router.get("/scans/{scan_id}/reports/{name}")
def scan_report(request: Request, scan_id: RowId, name: str, principal: Principal = READER) -> Response:
    state = state_of(request)
    data = service.report_file(state.db, actor_of(request, principal), state.settings.review, scan_id, name)
    # An attachment, never rendered here (the report names files from the evidence), and never cached.
    return Response(
        data,
        media_type=REPORT_TYPES.get(name, "application/octet-stream"),
        headers={
            "Content-Disposition": f'attachment; filename="scan-{scan_id}-{name}"',
            "Cache-Control": "no-store, private",
        },
    )
