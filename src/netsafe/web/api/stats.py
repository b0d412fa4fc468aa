"""Statistics over the same service as ``netsafe stats show`` (netsafe.stats.service).

Everyone signed in sees the published view, under disclosure control; the internal view needs the
``stats`` permission (seniors and admins) and has a path of its own, so who may read it is one rule.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from netsafe.accounts.roles import Permission
from netsafe.services.accounts import Principal
from netsafe.stats import service
from netsafe.stats.disclosure import Rule
from netsafe.web.auth import actor_of, require, require_login
from netsafe.web.errors import ERROR_RESPONSES
from netsafe.web.state import state_of

router = APIRouter(tags=["statistics"], responses=ERROR_RESPONSES)
SIGNED_IN = Depends(require_login())
INTERNAL = Depends(require(Permission.STATS))

From = Annotated[date | None, Query(alias="from", description="first day")]
To = Annotated[date | None, Query(alias="to", description="last day")]
Force = Annotated[str | None, Query(max_length=100, description="offences: one police force area")]
HashSet = Annotated[str | None, Query(max_length=100, description="triage and review: one hash set")]
Operation = Annotated[str | None, Query(max_length=100, description="cases: one operation")]


def _show(request: Request, principal: Principal, section: str, start: date | None, end: date | None,
          force: str | None, published: bool, hashset: str | None = None,
          operation: str | None = None) -> dict[str, Any]:  # fmt: skip
    settings = state_of(request).settings.stats
    rule = Rule.from_settings(settings) if published else None
    code = service.force_code(force) if force else None
    period = service.Period(start, end)
    return service.show(state_of(request).db, actor_of(request, principal), section, period, rule, code,
                        hashset=hashset, operation=operation)  # fmt: skip


@router.get("/stats/{section}", summary="A section's figures, published (under disclosure control)")
def published(
    request: Request, section: str, start: From = None, end: To = None, force: Force = None,
    hashset: HashSet = None, operation: Operation = None, principal: Principal = SIGNED_IN,
) -> dict[str, Any]:  # fmt: skip
    return _show(request, principal, section, start, end, force, True, hashset, operation)


@router.get("/stats/{section}/internal", summary="A section's figures before disclosure control")
def internal(
    request: Request, section: str, start: From = None, end: To = None, force: Force = None,
    hashset: HashSet = None, operation: Operation = None, principal: Principal = INTERNAL,
) -> dict[str, Any]:  # fmt: skip
    return _show(request, principal, section, start, end, force, False, hashset, operation)
