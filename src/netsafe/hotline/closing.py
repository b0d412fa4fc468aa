"""Closing a report by hand: an analyst ends its follow-up (no notices, no checks) with a reason, e.g. a
host nobody can be told about, or a refused notice that should not be asked again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netsafe.audit.service import Actor
from netsafe.errors import Conflict, InvalidInput
from netsafe.hotline.common import at, change_state, get_report
from netsafe.hotline.referrals import is_self_referred
from netsafe.hotline.states import PENDING, Status
from netsafe.store.db import Database

MAX_REASON = 500


def close(
    db: Database, actor: Actor, reference: str, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    text = " ".join(reason.split())
    if not text:
        raise InvalidInput("reason: say why the report is closed")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters")
    when = at(now)
    with db.session() as session:
        report = get_report(session, reference, lock=True)
        if is_self_referred(report) and report.status in PENDING:
            # Closing by hand would leave the young person's request unsettled and the picture kept.
            raise Conflict(
                f"report {report.reference} is an upload waiting for assessment: assess it (that settles "
                "its request and deletes the picture) rather than close it"
            )
        report.closed_at = when
        report.next_check_at = None
        change_state(
            session, actor, report, Status.CLOSED, when, "hotline.close", {"reason": text}, note=text
        )
        return {"reference": report.reference, "status": report.status, "outcome": report.outcome}
