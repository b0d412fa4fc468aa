"""The hotline's figures: reports received, assessed, confirmed; confirmed by category, age band, country
and route; median and 90th percentile of the time from first notice to removal."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from netsafe.hotline.models import AssessmentRow, ReportRow
from netsafe.hotline.states import Outcome
from netsafe.store.db import Database


def _percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (the value at rank ceil(share * n))."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def stats(db: Database) -> dict[str, Any]:
    with db.session() as session:
        received = int(session.scalar(select(func.count()).select_from(ReportRow)) or 0)
        assessed = int(session.scalar(select(func.count(func.distinct(AssessmentRow.report_id)))) or 0)
        confirmed = session.execute(
            select(
                ReportRow.category, ReportRow.age_band, ReportRow.country, ReportRow.route, ReportRow.status
            ).where(ReportRow.outcome == Outcome.CRIMINAL.value)
        ).all()
        outcomes = {
            outcome: int(n)
            for outcome, n in session.execute(
                select(ReportRow.outcome, func.count()).group_by(ReportRow.outcome)
            )
        }
        removal = [
            float(v)
            for v in session.scalars(
                select(ReportRow.removed_after_seconds).where(ReportRow.removed_after_seconds.is_not(None))
            )
            if v is not None
        ]

    def counts(index: int) -> dict[str, int]:
        found = Counter(str(row[index]) if row[index] is not None else "unknown" for row in confirmed)
        return dict(sorted(found.items()))

    return {
        "received": received,
        "assessed": assessed,
        "confirmed": len(confirmed),
        "outcomes": {str(k) if k else "pending": int(v) for k, v in outcomes.items()},
        "by_category": counts(0),
        "by_age_band": counts(1),
        "by_country": counts(2),
        "by_route": counts(3),
        "by_status": counts(4),
        "removed": len(removal),
        "time_to_removal_seconds": {"median": _percentile(removal, 0.5), "p90": _percentile(removal, 0.9)},
    }
