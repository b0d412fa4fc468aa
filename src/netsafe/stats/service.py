"""The statistics: one section at a time, from our records (hotline, triage, cases) and from outside
(offences), every figure aggregated in SQL, the published view under disclosure control.

``show`` answers ``{"section", "rule", "rows"}``; a row is ``{"view", <dimension>: key, "count"}`` (or a
``"value"`` for a median or a share), a suppressed cell ``None``. Every read is one audit event, saying which
view (internal or published) was shown. The door decides who may see the internal view (``Permission.STATS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select, true
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.cases.models import ActionRow, CaseRow, OperationRow
from netsafe.cases.vocab import ActionKind, Status
from netsafe.deterrence.counting import NO_ENTRY
from netsafe.deterrence.models import DeterrenceCountRow
from netsafe.errors import InvalidInput
from netsafe.hotline import daily
from netsafe.hotline.models import AssessmentRow as HotlineAssessment
from netsafe.hotline.models import DailyRow, ItemAssessmentRow, ReportRow
from netsafe.hotline.states import Outcome
from netsafe.stats import sections, sql
from netsafe.stats.disclosure import Rule, describe
from netsafe.stats.forces import BY_CODE, find_force
from netsafe.stats.models import OffenceRow
from netsafe.stats.review import review_rows
from netsafe.stats.tables import count, measure, percent, table
from netsafe.store.db import Database
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow

SECTIONS = sections.SECTIONS  # its home is stats.sections, which the command line reads without the store
UNKNOWN = "unknown"
# Notice to removal, in hours: the distribution's bins (the last is open).
REMOVAL_BINS = ((0, 24, "under 1 day"), (24, 72, "1-3 days"), (72, 168, "3-7 days"), (168, None, "7 days+"))


@dataclass(frozen=True, slots=True)
class Period:
    start: date | None = None
    end: date | None = None  # inclusive

    def check(self) -> Period:
        if self.start and self.end and self.start > self.end:
            raise InvalidInput("--from is after --to: give the period's first day, then its last")
        return self

    def times(self, column: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.start:
            out.append(column >= datetime.combine(self.start, time(), UTC))
        if self.end:
            out.append(column < datetime.combine(self.end + timedelta(days=1), time(), UTC))
        return out

    def days(self, column: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.start:
            out.append(column >= self.start)
        if self.end:
            out.append(column <= self.end)
        return out

    def day_texts(self, column: Any) -> list[ColumnElement[bool]]:
        """On a YYYY-MM-DD text column (the daily summaries)."""
        out: list[ColumnElement[bool]] = []
        if self.start:
            out.append(column >= self.start.isoformat())
        if self.end:
            out.append(column <= self.end.isoformat())
        return out

    def describe(self) -> dict[str, str | None]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }


def _counts(session: Session, key: Any, *where: ColumnElement[bool], of: Any = None) -> dict[str, int]:
    counted = func.count(distinct(of)) if of is not None else func.count()
    query = select(key, counted).where(*where).group_by(key).order_by(key)
    return {UNKNOWN if k is None else str(k): int(n) for k, n in session.execute(query)}


def _add(into: dict[str, int], key: Any, n: int) -> None:
    name = UNKNOWN if key is None else str(key)
    into[name] = into.get(name, 0) + n


def _hotline(session: Session, period: Period, rule: Rule | None, dialect: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # One read of the daily summary (hotline/daily.py): a few thousand cells, not a million reports.
    cell = DailyRow
    month = case((cell.measure.in_(daily.MONTHLY), func.substr(cell.day, 1, 7)), else_="")
    query = (
        select(cell.measure, cell.key, month, func.sum(cell.n))
        .where(*period.day_texts(cell.day))
        .group_by(cell.measure, cell.key, month)
    )
    summed: dict[str, dict[str, int]] = {}
    for name, key, in_month, n in session.execute(query):
        if n:
            _add(summed.setdefault(name, {}), in_month or key, int(n))
    for name in daily.MONTHLY:
        rows += table(f"{name}_by_month", "month", dict(sorted(summed.get(name, {}).items())), rule)
    public = sum(summed.get("public_assessed", {}).values())
    actionable = sum(summed.get("public_actionable", {}).values())
    rows.append(count("public_reports", "assessed", public, rule))
    rows.append(count("public_reports", "actionable", actionable, rule))
    rows.append(percent("public_reports", "actionable_percent", actionable, public, rule))
    for name in daily.DIMENSIONS:
        rows += table(f"by_{name}", name, dict(sorted(summed.get(name, {}).items())), rule)
    confirmed = ReportRow.outcome == Outcome.CRIMINAL.value
    assessed_in = [ReportRow.assessed_at.is_not(None), *period.times(ReportRow.assessed_at)]
    # Per item as the analysts graded it (an item graded again on appeal counts under each grade's values:
    # the grades are votes, rarely different).
    items = [
        ItemAssessmentRow.category.is_not(None),
        HotlineAssessment.id == ItemAssessmentRow.assessment_id,
        ReportRow.id == HotlineAssessment.report_id,
        *assessed_in,
        confirmed,
    ]
    sexes = _counts(session, ItemAssessmentRow.sex, *items, of=ItemAssessmentRow.item_id)
    rows += table("items_by_sex", "sex", sexes, rule)
    for flag, view in (
        (ItemAssessmentRow.self_generated, "self_generated"),
        (ItemAssessmentRow.commercial, "commercial"),
    ):
        label = case((flag, "yes"), else_="no")
        rows += table(f"reports_{view}", view, _counts(session, label, *items, of=ReportRow.id), rule)
    # Removal times by bucket (tenths of an hour, coarser past a day: hotline/daily.py).
    histogram = [(int(k) / 10.0, n) for k, n in summed.get("removal", {}).items()]
    n_removed = sum(n for _, n in histogram)
    rows.append(measure("notice_to_removal", "median_hours", n_removed, sql.percentile(histogram, 0.5), rule))
    rows.append(measure("notice_to_removal", "p90_hours", n_removed, sql.percentile(histogram, 0.9), rule))
    bins = {label: 0 for *_, label in REMOVAL_BINS}
    for hours, n in histogram:
        within = next(b[2] for b in REMOVAL_BINS if hours >= b[0] and (b[1] is None or hours < b[1]))
        bins[within] += n
    rows += table("removal_time", "within", bins, rule)
    return rows


def _triage(
    session: Session, period: Period, rule: Rule | None, dialect: str, hashset: str | None
) -> list[dict[str, Any]]:
    scans = period.times(ScanRow.started)
    rows: list[dict[str, Any]] = []
    n_scans = int(session.scalar(select(func.count()).where(*scans).select_from(ScanRow)) or 0)
    n_files = int(
        session.scalar(
            select(func.count())
            .select_from(ScanEventRow)
            .join(ScanRow, ScanRow.id == ScanEventRow.scan_id)
            .where(*scans)
        )
        or 0
    )
    rows.append(count("totals", "scans", n_scans, rule))
    rows.append(count("totals", "files", n_files, rule))
    kinds = _counts(session, ScanBlobRow.kind, ScanRow.id == ScanBlobRow.scan_id, *scans, of=ScanBlobRow.id)
    rows += table("distinct_items_by_kind", "kind", kinds, rule)
    if dialect == "postgresql":
        found = func.json_array_elements(ScanBlobRow.matches).table_valued("value").alias("m")
        category: Any = found.c.value.op("->>")("category")
        matched_in: Any = found.c.value.op("->>")("hashset")
    else:
        found = func.json_each(ScanBlobRow.matches).table_valued("value").alias("m")
        category = func.json_extract(found.c.value, "$.category")
        matched_in = func.json_extract(found.c.value, "$.hashset")
    in_set = [matched_in == hashset] if hashset else []
    query = (
        select(ScanBlobRow.kind, category, func.count(distinct(ScanBlobRow.id)))
        .select_from(ScanBlobRow)
        .join(ScanRow, ScanRow.id == ScanBlobRow.scan_id)
        .join(found, true())
        .where(*scans, *in_set, ScanBlobRow.kind.in_(("image", "video")))
        .group_by(ScanBlobRow.kind, category)
    )
    by_kind: dict[str, dict[str, int]] = {"image": {}, "video": {}}
    for kind, cat, n in session.execute(query):
        by_kind[str(kind)][UNKNOWN if cat is None else str(cat)] = int(n)
    for kind, counts in by_kind.items():
        rows += table(f"matched_{kind}s_by_category", "category", dict(sorted(counts.items())), rule)
    return rows + review_rows(session, period.times, rule, dialect, hashset)


def _cases(
    session: Session, period: Period, rule: Rule | None, dialect: str, today: date, operation: str | None
) -> list[dict[str, Any]]:
    received = period.days(CaseRow.received)
    in_operation: list[ColumnElement[bool]] = []
    if operation:
        found_id = session.scalar(select(OperationRow.id).where(OperationRow.name == operation))
        if found_id is None:
            raise InvalidInput(f"operation {operation[:60]!r}: no such operation (netsafe case operations)")
        in_operation.append(CaseRow.operation_id == found_id)
    received += in_operation
    rows: list[dict[str, Any]] = []
    level = func.coalesce(CaseRow.level_label, "Not assessed")
    is_open = CaseRow.status != Status.CLOSED.value
    overdue = and_(
        is_open, CaseRow.first_action.is_(None), CaseRow.deadline.is_not(None), CaseRow.deadline < today
    )
    days = sql.days_between(CaseRow.received, CaseRow.first_action, dialect)
    met = and_(CaseRow.deadline.is_not(None), CaseRow.first_action <= CaseRow.deadline)
    keys = (
        level,
        case((is_open, 1), else_=0),
        case((overdue, 1), else_=0),
        days,
        case((CaseRow.deadline.is_not(None), 1), else_=0),
        case((met, 1), else_=0),
    )
    # One scan: cases by level, open, overdue, days to first action and the target; added up here.
    levels: dict[str, int] = {}
    histograms: dict[str, list[tuple[float, int]]] = {}
    n_open = n_overdue = whole = n_met = 0
    for lvl, is_o, is_late, waited, has_deadline, on_time, n in session.execute(
        select(*keys, func.count()).where(*received).group_by(*keys)
    ):
        _add(levels, lvl, n)
        n_open += n if is_o else 0
        n_overdue += n if is_late else 0
        if waited is not None:
            histograms.setdefault(str(lvl), []).append((float(waited), n))
            whole += n if has_deadline else 0
            n_met += n if on_time else 0
    rows += table("by_risk_level", "level", dict(sorted(levels.items())), rule)
    rows.append(count("open", "open", n_open, rule))
    rows.append(count("open", "overdue", n_overdue, rule))
    for lvl, histogram in sorted(histograms.items()):
        n = sum(c for _, c in histogram)
        median = sql.percentile(histogram, 0.5)
        rows.append(measure("days_to_first_action", "median_days", n, median, rule, level=lvl))
    rows.append(count("target", "acted_on_with_deadline", whole, rule))
    rows.append(percent("target", "met_target_percent", n_met, whole, rule))
    totals = (
        select(
            OperationRow.name,
            func.count().filter(ActionRow.kind == ActionKind.ARREST.value),
            func.count().filter(ActionRow.kind == ActionKind.CHARGE.value),
            func.coalesce(func.sum(ActionRow.children_safeguarded), 0),
        )
        .select_from(ActionRow)
        .join(CaseRow, CaseRow.id == ActionRow.case_id)
        .join(OperationRow, OperationRow.id == CaseRow.operation_id)
        .where(*period.days(ActionRow.done_on), *in_operation)
        .group_by(OperationRow.name)
        .order_by(OperationRow.name)
    )
    found = session.execute(totals).all()
    for index, view in (
        (1, "operation_arrests"),
        (2, "operation_charges"),
        (3, "operation_children_safeguarded"),
    ):
        rows += table(view, "operation", {str(r[0]): int(r[index]) for r in found}, rule)
    return rows


def _deterrence(session: Session, period: Period, rule: Rule | None, dialect: str) -> list[dict[str, Any]]:
    """Checks, warnings shown and help clicks by month and message variant, and the click-through rate;
    from the deterrence counts (one cell per entry, variant and day: checks are counted with no variant)."""
    cell = DeterrenceCountRow
    day = sql.date_text(cell.day, dialect)
    hit = case((cell.entry_id != NO_ENTRY, 1), else_=0)
    query = (
        select(
            day, cell.variant, hit, func.sum(cell.checks), func.sum(cell.warnings), func.sum(cell.help_clicks)
        )
        .where(*period.days(cell.day))
        .group_by(day, cell.variant, hit)
    )
    checks: dict[str, int] = {}
    blocked: dict[str, int] = {}
    warnings: dict[str, int] = {}
    shown: dict[str, int] = {}
    clicks: dict[str, int] = {}
    for when, variant, is_hit, n_checks, n_warnings, n_clicks in session.execute(query):
        month = str(when)[:7]
        _add(checks, month, int(n_checks or 0))
        if is_hit:
            _add(blocked, month, int(n_checks or 0))
        if variant:
            _add(warnings, month, int(n_warnings or 0))
            _add(shown, variant, int(n_warnings or 0))
            _add(clicks, variant, int(n_clicks or 0))
    rows: list[dict[str, Any]] = []
    rows += table("checks_by_month", "month", dict(sorted(checks.items())), rule)
    rows += table("blocked_checks_by_month", "month", dict(sorted(blocked.items())), rule)
    rows += table("warnings_by_month", "month", dict(sorted(warnings.items())), rule)
    rows += table("warnings_by_variant", "variant", dict(sorted(shown.items())), rule)
    rows += table("help_clicks_by_variant", "variant", dict(sorted(clicks.items())), rule)
    for variant in sorted(shown):
        rows.append(
            {**percent("click_through", "help_clicks_percent", clicks.get(variant, 0), shown[variant], rule),
             "variant": variant}
        )  # fmt: skip
    return rows


def _offences(session: Session, period: Period, rule: Rule | None, force: str | None) -> list[dict[str, Any]]:
    where: list[ColumnElement[bool]] = []
    if force:
        where.append(OffenceRow.force == force)
    if period.start:
        where.append(OffenceRow.year >= str(period.start.year))
    if period.end:
        where.append(OffenceRow.year <= f"{period.end.year}/99")
    query = (
        select(OffenceRow.year, OffenceRow.offence, OffenceRow.force, OffenceRow.count, OffenceRow.population)
        .where(*where)
        .order_by(OffenceRow.offence, OffenceRow.year, OffenceRow.force)
    )
    rows: list[dict[str, Any]] = []
    found = session.execute(query).all()
    previous: dict[tuple[str, str], int] = {}
    groups: dict[tuple[str, str], dict[str, tuple[int, int | None]]] = {}
    for year, offence, code, n, population in found:
        groups.setdefault((offence, year), {})[code] = (int(n), population)
    for (offence, year), cells in groups.items():
        shown = table("by_force", "force", {BY_CODE[c].name: n for c, (n, _) in cells.items()}, rule)
        for row in shown:
            row.update(offence=offence, year=year)
            held = next((c for c in cells if BY_CODE[c].name == row["force"]), None)
            if held is not None:
                n, population = cells[held]
                visible = row["count"] is not None
                row["per_100k"] = round(n * 100_000 / population, 1) if population and visible else None
                before = previous.get((offence, held))
                row["change_percent"] = (
                    round(100.0 * (n - before) / before, 1)
                    if before and visible and (rule is None or before >= rule.suppress_below)
                    else None
                )
                previous[(offence, held)] = n
        rows += shown
    return rows


def rebuild(db: Database, actor: Actor) -> dict[str, int]:
    """Refill the hotline's daily summary from the reports: after a bulk load that went around the ORM, or
    to check the kept one (the migration fills it once). Audited as ``stats.rebuild``."""
    with db.session() as session:
        before = int(session.scalar(select(func.count()).select_from(DailyRow)) or 0)
        daily.rebuild(session)
        after = int(session.scalar(select(func.count()).select_from(DailyRow)) or 0)
        record(session, actor, "stats.rebuild", "stats:hotline", {"cells_before": before, "cells": after})
    return {"cells_before": before, "cells": after}


def force_code(text: str) -> str:
    found = find_force(text)
    if found is None:
        raise InvalidInput(f"force {text[:60]!r}: not a police force area's name (see docs/statistics.md)")
    return found.code


def show(
    db: Database,
    actor: Actor,
    section: str,
    period: Period = Period(),
    rule: Rule | None = None,
    force: str | None = None,
    today: date | None = None,
    *,
    hashset: str | None = None,
    operation: str | None = None,
) -> dict[str, Any]:
    """One section. ``rule=None`` is the internal view: the door calls it so only for ``Permission.STATS``.
    Filters where relevant: ``force`` the offences, ``hashset`` the triage's matches and graded hashes,
    ``operation`` the cases."""
    if section not in SECTIONS:
        raise InvalidInput(f"section {section[:40]!r}: choose one of {', '.join(SECTIONS)}")
    period.check()
    day = today or datetime.now(UTC).date()
    given = {"force": force, "hashset": hashset, "operation": operation}
    filters = {"filters": {k: v for k, v in given.items() if v}} if any(given.values()) else {}
    with db.session() as session:
        dialect = session.get_bind().dialect.name
        if section == "hotline":
            rows = _hotline(session, period, rule, dialect)
        elif section == "triage":
            rows = _triage(session, period, rule, dialect, hashset)
        elif section == "cases":
            rows = _cases(session, period, rule, dialect, day, operation)
        elif section == "deterrence":
            rows = _deterrence(session, period, rule, dialect)
        else:
            rows = _offences(session, period, rule, force)
        record(
            session,
            actor,
            "stats.view",
            f"stats:{section}",
            {"view": "internal" if rule is None else "published", **period.describe(), **filters},
        )
    return {"section": section, "rule": describe(rule), "period": period.describe(), **filters, "rows": rows}
