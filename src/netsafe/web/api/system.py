"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from netsafe.services.accounts import Principal
from netsafe.store.migrate import current_revision, head_revision
from netsafe.store.models import HashSetRow
from netsafe.web.api.schemas import HealthOut, ReadyOut
from netsafe.web.auth import require_login
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.state import state_of

router = APIRouter(tags=["system"])


@router.get("/health", response_model=HealthOut, summary="Liveness: the process answers (no auth)")
def health() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/ready",
    response_model=ReadyOut,
    responses={**ERROR_RESPONSES, 503: ERROR_RESPONSES[401] | {"description": "not ready"}},
    summary="Readiness: store reachable, schema current, match indexes loaded and current",
)
def ready(request: Request, _: Principal = Depends(require_login())) -> ReadyOut:
    state = state_of(request)
    try:
        revision = current_revision(state.db)
        with state.db.sessions() as session:
            count = session.execute(select(func.count()).select_from(HashSetRow)).scalar_one()
    except Exception as err:
        raise ApiError(503, f"store unreachable: {type(err).__name__}") from None
    if revision != head_revision():
        raise ApiError(503, f"store schema {revision} is not at {head_revision()}: restart `netsafe serve`")
    current = state.matcher.refresh() if state.matcher is not None else True
    if not current:
        raise ApiError(503, "match indexes are loading")
    return ReadyOut(
        status="ready",
        store=state.db.backend,
        schema_revision=revision,
        hashsets=count,
        indexes_current=current,
    )
