"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from netsafe.services.accounts import Principal
from netsafe.services.system import store_status
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
    status = store_status(state.db)
    current = state.matcher.refresh() if state.matcher is not None else True
    if not current:
        raise ApiError(503, "match indexes are loading")
    return ReadyOut(
        status="ready",
        store=status.backend,
        schema_revision=status.schema_revision,
        hashsets=status.hashsets,
        indexes_current=current,
    )
