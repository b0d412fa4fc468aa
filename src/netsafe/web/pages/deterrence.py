"""Deterrence pages: the public warning page with its counting help redirect, and the curators' page (the
lists, their versions, and the counts with a chart per message variant).

The warning page is public and self-contained: no login, no cookie, no script, no stylesheet, its own
Content-Security-Policy that lets nothing load at all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from netsafe.accounts.roles import Permission
from netsafe.deterrence import checking, counting, lists, warning
from netsafe.errors import NotFound
from netsafe.services.accounts import Principal
from netsafe.web.auth import require_page
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
MANAGE = Depends(require_page(Permission.DETERRENCE_MANAGE))
WARNING_CSP = "default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
EntryParam = Annotated[int | None, Query(alias="e", ge=1, le=2**62)]
CHART_DAYS = 30


@router.get("/warning", response_class=HTMLResponse)
def warning_page(
    request: Request,
    lang: Annotated[str | None, Query(max_length=8)] = None,
    entry: EntryParam = None,
) -> Response:
    state = state_of(request)
    settings = state.settings.deterrence
    chosen = warning.pick_language(settings, lang, request.headers.get("accept-language"))
    variant = warning.pick_variant(settings)
    shown = warning.render(settings, chosen, variant, entry)
    checking.count_shown(state.db, state.deterrence, entry, variant)
    return HTMLResponse(
        shown.html, headers={"Content-Security-Policy": WARNING_CSP, "Content-Language": chosen}
    )


@router.get("/warning/help/{variant}/{link}")
def help_redirect(
    request: Request,
    variant: Annotated[str, Path(max_length=32)],
    link: Annotated[str, Path(max_length=32)],
    entry: EntryParam = None,
) -> Response:
    state = state_of(request)
    target = warning.help_target(state.settings.deterrence, variant, link)
    if target is None:
        raise NotFound("no such help link")
    checking.count_help(state.db, state.deterrence, entry, variant)
    return RedirectResponse(target, status_code=303)


@router.get("/deterrence", response_class=HTMLResponse)
def curator_page(
    request: Request,
    published: Annotated[bool, Query()] = False,
    principal: Principal = MANAGE,
) -> Response:
    state = state_of(request)
    db, minimum = state.db, state.settings.deterrence.min_published_count
    found = lists.list_lists(db)
    versions = {row["name"]: lists.list_versions(db, row["name"])[:10] for row in found}
    cells = counting.counts(db)
    return page(
        request,
        "deterrence.html",
        principal,
        active="deterrence",
        lists=found,
        versions=versions,
        charts=_charts(counting.per_variant(cells), minimum if published else 0),
        cells=counting.counts(db, published, minimum)[:200],
        published=published,
        minimum=minimum,
    )


def _charts(data: dict[str, dict[str, dict[str, int | None]]], minimum: int) -> list[dict[str, Any]]:
    """Per variant: its last days' warnings and help clicks as bars (inline SVG, no script)."""
    charts = []
    for variant, days in sorted(data.items()):
        rows = sorted(days.items())[-CHART_DAYS:]
        top = max([1] + [v["warnings"] or 0 for _, v in rows])
        bars = []
        for i, (day, v) in enumerate(rows):
            shown, clicks = v["warnings"] or 0, v["help_clicks"] or 0
            hide = minimum and shown < minimum
            bars.append(
                {
                    "x": i * 12,
                    "h": 0 if hide else round(100 * shown / top),
                    "hc": 0 if hide or clicks < minimum else round(100 * clicks / top),
                    "day": day,
                    "label": "suppressed" if hide else f"{shown} shown, {clicks} help clicks",
                }
            )
        total = sum(v["warnings"] or 0 for _, v in rows)
        clicks = sum(v["help_clicks"] or 0 for _, v in rows)
        charts.append(
            {
                "variant": variant,
                "bars": bars,
                "width": max(12, 12 * len(bars)),
                "shown": total if total >= minimum else None,
                "clicks": clicks if clicks >= minimum else None,
                "rate": f"{100 * clicks / total:.1f}%" if total >= max(minimum, 1) else None,
            }
        )
    return charts
