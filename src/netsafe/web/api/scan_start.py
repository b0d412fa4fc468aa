"""Start a scan on a server-side path under the evidence roots, and follow its progress
(netsafe.review.scan_start; the pages call the same service)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from netsafe.accounts.roles import Permission
from netsafe.review.scan_start import scan_progress, start_scan
from netsafe.services.accounts import Principal
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(tags=["scans"], responses=ERROR_RESPONSES)
RUN = Depends(require(Permission.SCANS_RUN))
READ = Depends(require(Permission.SCANS))


class ScanIn(BaseModel):
    path: str = Field(min_length=1, max_length=4096, description="a folder or file under an evidence root")
    examiner: str | None = Field(default=None, max_length=200, description="default: the caller")
    hashsets: list[str] = Field(default_factory=list, max_length=100, description="default: every set")


@router.post("/scans", status_code=202, summary="Start a scan of a path under the evidence roots")
def start(request: Request, body: ScanIn, principal: Principal = RUN) -> dict[str, Any]:
    """The scan runs in the background; `scan` is null while it is still starting (a disk image given as
    the path is hashed first), and `queued` counts the scans this server runs before it."""
    state = state_of(request)
    started = start_scan(
        state.db,
        actor_of(request, principal),
        state.settings.review,
        body.path,
        examiner=body.examiner,
        hashsets=tuple(body.hashsets),
        runner=state.scans,
    )
    return started.as_dict()


@router.get("/scans/{scan_id}/progress", summary="How far a scan is")
def progress(request: Request, scan_id: RowId, _: Principal = READ) -> dict[str, Any]:
    state = state_of(request)
    return scan_progress(state.db, scan_id)
