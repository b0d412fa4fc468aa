"""The statistics dashboard: a chart per view, drawn on the server as SVG, its table below it, CSV and
JSON downloads; filters by date range and, where relevant, force (offences), hash set (triage and review)
and operation (cases). A plain GET form: no script needed.

Everyone signed in sees the published view; ``/stats/internal`` (the ``stats`` permission) the counts as
they are. Both call the same service as the API and ``netsafe stats show``, which audits each read.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from netsafe.accounts.roles import Permission
from netsafe.errors import InvalidInput
from netsafe.services.accounts import Principal
from netsafe.stats import service
from netsafe.stats.charts import views
from netsafe.stats.disclosure import Rule
from netsafe.web.auth import actor_of, require_page
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
SIGNED_IN = Depends(require_page(None))
INTERNAL = Depends(require_page(Permission.STATS))
Text = Annotated[str, Query(max_length=100)]


def _day(text: str, what: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} {text[:20]!r}: give a date as YYYY-MM-DD") from None


class Filters(NamedTuple):
    start: str = ""
    end: str = ""
    force: str = ""
    hashset: str = ""
    operation: str = ""

    def query(self) -> dict[str, str]:
        return {"from": self.start, "to": self.end, "force": self.force, "hashset": self.hashset,
                "operation": self.operation}  # fmt: skip


def _filters(
    start: Annotated[str, Query(alias="from", max_length=20)] = "",
    end: Annotated[str, Query(alias="to", max_length=20)] = "",
    force: Text = "",
    hashset: Text = "",
    operation: Text = "",
) -> Filters:
    return Filters(start, end, force, hashset, operation)


FILTERS = Depends(_filters)


def _sections(
    request: Request, principal: Principal, internal: bool, f: Filters, only: str | None
) -> list[dict[str, Any]]:
    start, end, force = f.start, f.end, f.force
    period = service.Period(_day(start, "from"), _day(end, "to")).check()
    rule = None if internal else Rule.from_settings(state_of(request).settings.stats)
    code = service.force_code(force) if force.strip() else None
    db, actor = state_of(request).db, actor_of(request, principal)
    names = [only] if only else list(service.SECTIONS)
    hashset, operation = f.hashset.strip() or None, f.operation.strip() or None
    return [
        service.show(db, actor, name, period, rule, code, hashset=hashset, operation=operation)
        for name in names
    ]


def _dashboard(request: Request, principal: Principal, internal: bool, f: Filters) -> Response:
    filters = f.query()
    try:
        found = _sections(request, principal, internal, f, None)
    except InvalidInput as err:
        return page(request, "stats.html", principal, status_code=422, error=str(err), sections=[],
                    filters=filters, internal=internal)  # fmt: skip
    sections = [{**out, "views": views(out)} for out in found]
    return page(
        request, "stats.html", principal, sections=sections, filters=filters, internal=internal, error=None
    )


def _download(
    request: Request,
    principal: Principal,
    internal: bool,
    section: str,
    fmt: str,
    f: Filters,
) -> Response:
    if fmt not in ("csv", "json"):
        raise InvalidInput(f"format {fmt[:10]!r}: choose csv or json")
    out = _sections(request, principal, internal, f, section)[0]
    name = f"netsafe-stats-{out['section']}{'-internal' if internal else ''}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        return Response(json.dumps(out, ensure_ascii=False), media_type="application/json", headers=headers)
    columns: list[str] = []
    for row in out["rows"]:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    buffer.write(f"# {out['rule']}\n")
    writer = csv.DictWriter(buffer, columns, restval="")
    writer.writeheader()
    for row in out["rows"]:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/stats", response_class=HTMLResponse)
def dashboard(
    request: Request, f: Filters = FILTERS, principal: Principal = SIGNED_IN,
) -> Response:  # fmt: skip
    return _dashboard(request, principal, False, f)


@router.get("/stats/internal", response_class=HTMLResponse)
def dashboard_internal(
    request: Request, f: Filters = FILTERS, principal: Principal = INTERNAL,
) -> Response:  # fmt: skip
    return _dashboard(request, principal, True, f)


@router.get("/stats/download/{section}")
def download(
    request: Request, section: str, format: Text = "csv", f: Filters = FILTERS,
    principal: Principal = SIGNED_IN,
) -> Response:  # fmt: skip
    return _download(request, principal, False, section, format, f)


@router.get("/stats/internal/download/{section}")
def download_internal(
    request: Request, section: str, format: Text = "csv", f: Filters = FILTERS,
    principal: Principal = INTERNAL,
) -> Response:  # fmt: skip
    return _download(request, principal, True, section, format, f)
