"""The audit log for auditors: search, verify (against anchors kept elsewhere), anchor, export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from netsafe.accounts.roles import Permission
from netsafe.audit.service import (
    Anchor,
    AnchorError,
    AuditFilter,
    anchor,
    as_dict,
    search,
)
from netsafe.services import auditlog
from netsafe.services.accounts import Principal
from netsafe.web.api.schemas import AuditAnchorOut, AuditEventOut, AuditVerifyOut
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.state import state_of

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)
AUDITOR = Depends(require(Permission.AUDIT_READ))
# Seconds a check waits for another process's write lock to replay ended processes' journals: a request
# thread must not sit behind an import; the chain is verified and the store reported busy instead.
LOCK_WAIT = 1.0


def audit_filter(
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. login.failed, or hashset")] = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditFilter:
    return AuditFilter(
        actor=actor or None,
        action=action or None,
        outcome=outcome or None,
        since=utc(since),
        until=utc(until),
    )


def utc(at: datetime | None) -> datetime | None:
    """Aware UTC (a naive time is taken as UTC), as the log stores it on every backend."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@router.get("/audit/events", response_model=list[AuditEventOut], summary="Audit events, newest first")
def audit_events(
    request: Request,
    flt: Annotated[AuditFilter, Depends(audit_filter)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="Only events before this sequence number")
    ] = None,
    _: Principal = AUDITOR,
) -> list[AuditEventOut]:
    with state_of(request).db.sessions() as session:
        return [AuditEventOut(**as_dict(row)) for row in search(session, flt, limit, before)]


@router.get("/audit/verify", response_model=AuditVerifyOut, summary="Check the hash chain end to end")
def audit_verify(
    request: Request,
    anchors: Annotated[
        list[str],
        Query(
            alias="anchor",
            max_length=10,
            description="SEQ:HASH from `GET /audit/anchor`, kept elsewhere: not ok if that event is gone "
            "or changed (repeatable)",
        ),
    ] = [],  # noqa: B006 (FastAPI copies a query default per request)
    _: Principal = AUDITOR,
) -> AuditVerifyOut:
    try:
        kept = tuple(Anchor.parse(text) for text in anchors)
    except AnchorError as err:
        raise ApiError(422, str(err)) from None
    checked = auditlog.check(state_of(request).db, kept, lock_wait=LOCK_WAIT)
    result = checked.result
    return AuditVerifyOut(
        ok=result.ok,
        checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        problem=result.problem,
        broken_seq=result.broken_seq,
        waiting=checked.waiting,
        replayed=checked.replayed,
        store_busy=checked.busy,
        verdict=checked.verdict(),
        notes=checked.notes(),
    )


@router.get(
    "/audit/anchor",
    response_model=AuditAnchorOut,
    summary="The newest event's sequence number and hash, to keep outside the store",
    responses={409: ERROR_RESPONSES[401] | {"description": "the chain head and its event disagree: verify"}},
)
def audit_anchor(request: Request, _: Principal = AUDITOR) -> AuditAnchorOut:
    with state_of(request).db.sessions() as session:
        try:
            head = anchor(session)
        except ValueError as err:
            raise ApiError(409, str(err)) from None
    return AuditAnchorOut(seq=head.seq, hash=head.hash, anchor=str(head))


@router.get(
    "/audit/export",
    summary="Export the audit log as JSON Lines (oldest first)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def audit_export(
    request: Request, flt: Annotated[AuditFilter, Depends(audit_filter)], principal: Principal = AUDITOR
) -> StreamingResponse:
    found = auditlog.export_events(state_of(request).db, actor_of(request, principal), flt)
    return StreamingResponse((line.encode() + b"\n" for line in found), media_type="application/x-ndjson")
