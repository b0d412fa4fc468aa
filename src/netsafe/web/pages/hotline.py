"""The hotline's pages for analysts: the assessment queue (oldest first), a report with its assessment
form, and captured pictures, served blurred and greyscale until an analyst asks (each clear view audited).
Forms work without JavaScript; htmx swaps a veiled picture for the clear one in place."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from netsafe.accounts.roles import Permission
from netsafe.errors import InvalidInput, NetsafeError
from netsafe.hotline import assessment, notify, pictures, tracing, views
from netsafe.hotline.assessment import ItemGrade, Verdict
from netsafe.hotline.storage import open_vault
from netsafe.hotline.vault import Vault
from netsafe.services import hashsets as hs
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, check_csrf, client_ip, require_page
from netsafe.web.errors import status_for
from netsafe.web.pages.render import page
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
HOTLINE = Depends(require_page(Permission.HOTLINE))
PER_PAGE = 20


@router.get("/hotline", response_class=HTMLResponse)
def queue_page(
    request: Request,
    page_no: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    message: Annotated[str, Query(max_length=300)] = "",
    principal: Principal = HOTLINE,
) -> Response:
    found = views.queue(state_of(request).db, PER_PAGE, (page_no - 1) * PER_PAGE)
    return page(
        request,
        "hotline_queue.html",
        principal,
        active="hotline",
        queue=found,
        page_no=page_no,
        pages=max(1, -(-found.total // PER_PAGE)),
        message=message,
    )


def _report_page(
    request: Request, principal: Principal, reference: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    db = state_of(request).db
    data = views.show(db, reference)
    return page(
        request,
        "hotline_report.html",
        principal,
        status_code=status_code,
        active="hotline",
        report=data,
        hashsets=[i.name for i in hs.list_sets(db) if hs.name_ok(i.name)],
        categories=assessment.profile().codes,
        age_bands=assessment.AGE_BANDS,
        sexes=assessment.SEXES,
        site_types=assessment.SITE_TYPES,
        **({"error": None, "field": None} | context),
    )


@router.get("/hotline/reports/{reference}", response_class=HTMLResponse)
def report_page(request: Request, reference: str, principal: Principal = HOTLINE) -> Response:
    return _report_page(request, principal, reference)


def _flag(form: FormData, name: str) -> bool:
    return str(form.get(name, "")).lower() in ("1", "on", "true", "yes")


def _text(form: FormData, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


def verdict_from_form(form: FormData, item_ids: list[int]) -> Verdict:
    items = []
    for item_id in item_ids:
        prefix = f"item-{item_id}-"
        category = _text(form, prefix + "category")
        if not category:
            continue
        items.append(
            ItemGrade(
                item_id,
                category,
                _text(form, prefix + "age_band"),
                _text(form, prefix + "sex"),
                _flag(form, prefix + "self_generated"),
                _flag(form, prefix + "commercial"),
                _text(form, prefix + "add_to"),
            )
        )
    return Verdict(
        assessment.parse_outcome(str(form.get("outcome", ""))),
        site_type=_text(form, "site_type"),
        category=_text(form, "category"),
        age_band=_text(form, "age_band"),
        sex=_text(form, "sex"),
        self_generated=_flag(form, "self_generated"),
        commercial=_flag(form, "commercial"),
        items=items,
        comment=_text(form, "comment"),
    )


@router.post("/hotline/reports/{reference}/assess", response_class=HTMLResponse)
async def assess_submit(request: Request, reference: str, principal: Principal = HOTLINE) -> Response:
    form = await request.form(max_files=0, max_fields=20_000)
    check_csrf(request, principal, str(form.get("csrf_token", "")))
    state = state_of(request)
    try:
        shown = views.show(state.db, reference)
        verdict = verdict_from_form(form, [i["id"] for i in shown["items"]])
        out = assessment.assess(
            state.db,
            actor_of(request, principal),
            principal.username or principal.label,
            reference,
            verdict,
            appeal=_flag(form, "appeal"),
            vault=lambda: vault_of(request),
        )
    except NetsafeError as err:
        if not isinstance(err, InvalidInput) and status_for(err) == 404:
            raise
        message = " ".join(str(err).split())
        return _report_page(
            request, principal, reference, status_for(err), error=message, field=message.split(":", 1)[0]
        )
    if out["votes"]:
        state.matcher.changed()
    note = f"{out['reference']} assessed {out['outcome']}" + (
        f" ({out['category']})" if out["category"] else ""
    )
    return RedirectResponse(f"/hotline?message={quote(note)}", status_code=303)


def vault_of(request: Request) -> Vault:
    """The worker's vault, opened on first use (its key file is read or created then)."""
    app_state = request.app.state
    vault: Vault | None = getattr(app_state, "hotline_vault", None)
    if vault is None:
        state = state_of(request)
        vault = open_vault(state.settings.hotline, state.db)
        app_state.hotline_vault = vault
    return vault


PRIVATE = {"Cache-Control": "no-store, private"}


@router.get("/hotline/items/{item_id}/thumb")
async def item_thumb(request: Request, item_id: RowId, principal: Principal = HOTLINE) -> Response:
    """The veiled thumbnail: blurred and greyscale in the bytes themselves. Counted in the audit log's
    summary of this analyst's reads (every clear view is an event of its own)."""
    state = state_of(request)
    data = await run_in_threadpool(
        pictures.picture,
        state.db,
        actor_of(request, principal),
        item_id,
        vault=vault_of(request),
        clear=False,
    )
    actor = actor_of(request, principal)
    state.summary.note(
        ("hotline-thumb", client_ip(request), actor.name), actor, "hotline.item.thumbnails", None, {}
    )
    return Response(data, media_type="image/jpeg", headers=PRIVATE)


@router.get("/hotline/items/{item_id}/clear")
async def item_clear(request: Request, item_id: RowId, principal: Principal = HOTLINE) -> Response:
    state = state_of(request)
    data = await run_in_threadpool(
        pictures.picture, state.db, actor_of(request, principal), item_id, vault=vault_of(request), clear=True
    )
    return Response(data, media_type="image/jpeg", headers=PRIVATE)


@router.get("/hotline/items/{item_id}/reveal", response_class=HTMLResponse)
def item_reveal(request: Request, item_id: RowId, principal: Principal = HOTLINE) -> Response:
    """htmx: the item's figure with the clear picture (whose request is what gets audited)."""
    item = views.item(state_of(request).db, item_id)
    return page(request, "_hotline_item.html", principal, item=item, clear=True)


AUTHORISER = Depends(require_page(Permission.HOTLINE_AUTHORISE))


@router.get("/hotline/notices", response_class=HTMLResponse)
def notices_page(
    request: Request, message: Annotated[str, Query(max_length=300)] = "", principal: Principal = HOTLINE
) -> Response:
    state = state_of(request)
    return page(
        request,
        "hotline_notices.html",
        principal,
        active="hotline",
        batches=notify.awaiting(state.db),
        unrouted=tracing.unrouted(state.db),
        message=message,
    )


@router.post("/hotline/notices/{batch}/authorise", response_class=HTMLResponse)
async def notice_decide(
    request: Request, batch: Annotated[str, Path(max_length=64)], principal: Principal = AUTHORISER
) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    check_csrf(request, principal, str(form.get("csrf_token", "")))
    state = state_of(request)
    approve = str(form.get("decision", "")) == "approve"
    out = await run_in_threadpool(
        lambda: notify.authorise(
            state.db,
            actor_of(request, principal),
            principal.username or principal.label,
            batch,
            approve=approve,
            settings=state.settings.hotline,
        )
    )
    if out["failed"]:
        note = f"notice {batch} could not be sent: {out['failed'][0]['error']}"
    else:
        note = f"notice {batch} " + ("sent" if approve else "refused")
    return RedirectResponse(f"/hotline/notices?message={quote(note)}", status_code=303)
