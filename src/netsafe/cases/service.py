"""Cases as a service: add a referral, assess its risk, link scans and hotline reports, record actions, and
read the queue, a case, the figures and operations.

Every function is one transaction with its audit event: a change is checked, made and recorded together,
and every view of a case (the queue, one case, the figures, an operation) is an event too, since cases
hold what is known about suspects. Events name a case by its reference and never carry the subject's
personal details. The doors (CLI, API, pages) call these and only translate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netsafe.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from netsafe.audit.service import Actor, record
from netsafe.cases import clock, vocab
from netsafe.cases.models import (
    ActionRow,
    AssessmentRow,
    CaseRow,
    ExhibitRow,
    OperationRow,
    ReportLinkRow,
    ScanLinkRow,
)
from netsafe.cases.riskmodel import LoadedModel, RiskModel, model_in_force
from netsafe.cases.rules import Answer, assess, check_answers
from netsafe.cases.vocab import (
    ACTION_LABELS,
    ENFORCEMENT,
    MAX_LABEL,
    SOURCE_LABELS,
    ActionKind,
    CaseInputError,
    Offence,
    Source,
    Status,
    check_reference,
    check_text,
)
from netsafe.errors import Conflict, Forbidden, NotFound
from netsafe.hotline.common import get_report
from netsafe.hotline.views import statuses as hotline_statuses
from netsafe.services.accounts import get_user
from netsafe.store.db import Database
from netsafe.triage.service import scan_evidence, scan_exists

DEFAULT_EXHIBIT = vocab.DEFAULT_EXHIBIT
MAX_CHILDREN = 1000
MAX_DEVICES = 10_000


class CaseNotFoundError(NotFound):
    pass


class CaseExistsError(Conflict):
    pass


class CaseClosedError(Conflict):
    pass


class NotAnInvestigatorError(Forbidden):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _today(today: date | None) -> date:
    return today if today is not None else _now().date()


def _get(session: Session, reference: str) -> CaseRow:
    row = session.execute(select(CaseRow).where(CaseRow.reference == reference)).scalar_one_or_none()
    if row is None:
        raise CaseNotFoundError(f"no case {reference[:70]!r} (see `netsafe case list`)")
    return row


def _target(reference: str) -> str:
    return f"case:{reference}"


def _accountable(session: Session, actor: Actor, by: str | None) -> str:
    """Who answers for a change: ``by`` (a user whose role works cases), or the actor itself."""
    if by is None:
        return actor.name
    user = get_user(session, by)
    if user is None or user.disabled:
        raise NotAnInvestigatorError(f"no active user {by[:60]!r} (see `netsafe user list`)")
    if Permission.CASES not in ROLE_PERMISSIONS[Role(user.role)]:
        raise NotAnInvestigatorError(
            f"user {by[:60]!r} (role {user.role}) may not work cases: that needs the investigator role"
        )
    return f"user:{user.name}"


# --- add -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class NewCase:
    reference: str
    source: Source
    received: date
    referral_reference: str | None = None
    subject_label: str | None = None  # a pseudonymous label; by default "subject of REF"
    subject_name: str | None = None
    subject_birth_year: int | None = None
    officer: str | None = None
    operation: str | None = None


def add_case(db: Database, actor: Actor, new: NewCase, today: date | None = None) -> dict[str, Any]:
    """Open a case for a referral; the operation is created when first named. Raises CaseInputError,
    CaseExistsError."""
    reference = check_reference(new.reference)
    day = _today(today)
    if new.received > day:
        raise CaseInputError(f"received {new.received.isoformat()}: a referral cannot arrive in the future")
    label = check_text(new.subject_label, "subject label", MAX_LABEL) or f"subject of {reference}"
    name = check_text(new.subject_name, "subject name", 200)
    year = new.subject_birth_year
    if year is not None and not 1900 <= year <= day.year:
        raise CaseInputError(f"subject year of birth {year}: give a year between 1900 and {day.year}")
    officer = check_text(new.officer, "officer in charge", 200)
    operation = check_text(new.operation, "operation", 200)
    referral = check_text(new.referral_reference, "referral reference", 200)
    with db.session() as session:
        if session.execute(select(CaseRow.id).where(CaseRow.reference == reference)).first():
            raise CaseExistsError(f"case {reference!r} exists already")
        op_row = _operation(session, operation) if operation else None
        row = CaseRow(
            reference=reference,
            source=new.source.value,
            received=new.received,
            referral_reference=referral,
            subject_label=label,
            subject_name=name,
            subject_birth_year=year,
            officer=officer,
            operation_id=None if op_row is None else op_row.id,
            status=Status.NEW.value,
            created=_now(),
            created_by=actor.name,
        )
        session.add(row)
        session.flush()
        record(
            session,
            actor,
            "case.add",
            _target(reference),
            {
                "source": new.source.value,
                "received": new.received.isoformat(),
                "operation": operation,
                # Whether personal details were given, never what they are.
                "personal_details": name is not None or year is not None,
            },
        )
        model = model_in_force().model
        return _clocked(row, operation, model).as_dict(day)


def _operation(session: Session, name: str) -> OperationRow:
    row = session.execute(select(OperationRow).where(OperationRow.name == name)).scalar_one_or_none()
    if row is None:
        row = OperationRow(name=name, created=_now())
        session.add(row)
        session.flush()
    return row


# --- assess ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Given:
    answer: Answer
    source: str | None = None  # where the answer comes from (PNC, children's services, the referral...)


def assess_case(
    db: Database,
    actor: Actor,
    reference: str,
    answers: Mapping[str, Given],
    by: str | None = None,
    model: LoadedModel | None = None,
) -> dict[str, Any]:
    """Assess (or re-assess) the case under the model in force: ``{"level", "reasons", "gaps",
    "deadline", ...}``. History is kept; the queue uses the latest."""
    loaded = model or model_in_force()
    check_answers(loaded.model, {k: v.answer for k, v in answers.items()})
    notes = {k: check_text(v.source, f"source of {k}", 300) for k, v in answers.items()}
    outcome = assess(loaded.model, {k: v.answer for k, v in answers.items()})
    with db.session() as session:
        row = _get(session, reference)
        who = _accountable(session, actor, by)
        if row.status == Status.CLOSED:
            raise CaseClosedError(f"case {reference!r} is closed: reopen it before assessing it again")
        deadline = outcome.deadline(loaded.model, row.received)
        stored = {
            f.id: {
                "answer": answers[f.id].answer.value if f.id in answers else Answer.UNKNOWN.value,
                "source": notes.get(f.id),
            }
            for f in loaded.model.factors
        }
        session.add(
            AssessmentRow(
                case_id=row.id,
                at=_now(),
                by=who,
                model_name=loaded.model.name,
                model_origin=loaded.origin,
                model_digest=loaded.digest,
                answers=stored,
                level=outcome.level,
                level_label=outcome.level_label,
                level_rank=loaded.model.rank(outcome.level),
                rule=outcome.rule,
                reasons=outcome.reasons,
                gaps=[g.as_dict() for g in outcome.gaps],
                deadline=deadline,
            )
        )
        row.level, row.level_label = outcome.level, outcome.level_label
        row.level_rank, row.deadline = loaded.model.rank(outcome.level), deadline
        if row.status == Status.NEW:
            row.status = Status.ASSESSED.value
        session.flush()
        record(
            session,
            actor,
            "case.assess",
            _target(reference),
            {
                "by": who,
                "level": outcome.level,
                "rule": outcome.rule,
                "model": loaded.model.name,
                "model_digest": loaded.digest,
                "gaps": len(outcome.gaps),
            },
        )
        return {
            "reference": reference,
            "level": outcome.level,
            "level_label": outcome.level_label,
            "rule": outcome.rule,
            "reasons": outcome.reasons,
            "gaps": [g.as_dict() for g in outcome.gaps],
            "deadline": deadline.isoformat(),
        }


# --- links -----------------------------------------------------------------------------------------------


def link_scan(
    db: Database, actor: Actor, reference: str, scan_id: int, exhibit: str | None = None
) -> dict[str, Any]:
    """Link a stored triage scan to an exhibit (a device; created when first named) of the case."""
    label = check_text(exhibit, "exhibit", MAX_LABEL) or DEFAULT_EXHIBIT
    with db.session() as session:
        row = _get(session, reference)
        if not scan_exists(session, scan_id):
            raise NotFound(f"no scan {scan_id} in the store (see the scan's report.json for its id)")
        ex = session.execute(
            select(ExhibitRow).where(ExhibitRow.case_id == row.id, ExhibitRow.label == label)
        ).scalar_one_or_none()
        if ex is None:
            ex = ExhibitRow(case_id=row.id, label=label, added=_now())
            session.add(ex)
            session.flush()
        linked = session.execute(
            select(ScanLinkRow.id).where(ScanLinkRow.exhibit_id == ex.id, ScanLinkRow.scan_id == scan_id)
        ).first()
        if linked:
            raise Conflict(f"scan {scan_id} is linked to exhibit {label!r} of case {reference!r} already")
        session.add(
            ScanLinkRow(case_id=row.id, exhibit_id=ex.id, scan_id=scan_id, added=_now(), by=actor.name)
        )
        _started(row)
        session.flush()
        record(session, actor, "case.link", _target(reference), {"scan": scan_id, "exhibit": label})
        return {"reference": reference, "exhibit": label, "scan": scan_id}


def link_report(db: Database, actor: Actor, reference: str, report: str) -> dict[str, Any]:
    """Link one of this hotline's reports by its reference; a reference the hotline does not hold is
    refused (NotFound), so a case never points at a report nobody can open."""
    text = check_text(report, "hotline report reference", 200)
    if text is None:
        raise CaseInputError("give the hotline report's reference")
    with db.session() as session:
        row = _get(session, reference)
        text = get_report(session, text).reference
        found = session.execute(
            select(ReportLinkRow.id).where(ReportLinkRow.case_id == row.id, ReportLinkRow.reference == text)
        ).first()
        if found:
            raise Conflict(f"hotline report {text!r} is linked to case {reference!r} already")
        session.add(ReportLinkRow(case_id=row.id, reference=text, added=_now(), by=actor.name))
        _started(row)
        session.flush()
        record(session, actor, "case.link", _target(reference), {"report": text})
        return {"reference": reference, "report": text, "checked": True}


def _started(row: CaseRow) -> None:
    if row.status in (Status.NEW, Status.ASSESSED):
        row.status = Status.IN_PROGRESS.value


# --- actions and status ----------------------------------------------------------------------------------


@dataclass(slots=True)
class NewAction:
    kind: ActionKind
    on: date | None = None  # default: today
    offence: Offence | None = None  # charges
    children_safeguarded: int = 0
    devices: int | None = None  # seizures: default 1
    note: str | None = None


def record_action(
    db: Database,
    actor: Actor,
    reference: str,
    action: NewAction,
    by: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Record an action with its date; the first enforcement action stops the case's clock. A charge
    carries its offence and the counts by category from the case's linked scans at the time."""
    day = _today(today)
    done = action.on or day
    if done > day:
        raise CaseInputError(f"date {done.isoformat()}: an action cannot be recorded before it happens")
    if not 0 <= action.children_safeguarded <= MAX_CHILDREN:
        raise CaseInputError(f"children safeguarded: give a number from 0 to {MAX_CHILDREN}")
    if action.kind is ActionKind.CHARGE and action.offence is None:
        raise CaseInputError("a charge needs its offence: possession, distribution or production")
    if action.kind is not ActionKind.CHARGE and action.offence is not None:
        raise CaseInputError("an offence is given with a charge only")
    if action.devices is not None and action.kind is not ActionKind.SEIZURE:
        raise CaseInputError("a number of devices is given with a seizure only")
    devices = (
        (action.devices if action.devices is not None else 1) if action.kind is ActionKind.SEIZURE else 0
    )
    if not 0 <= devices <= MAX_DEVICES:
        raise CaseInputError(f"devices: give a number from 0 to {MAX_DEVICES}")
    note = check_text(action.note, "note", 500)
    with db.session() as session:
        row = _get(session, reference)
        who = _accountable(session, actor, by)
        if row.status == Status.CLOSED:
            raise CaseClosedError(f"case {reference!r} is closed: reopen it before recording an action")
        if done < row.received:
            raise CaseInputError(f"date {done.isoformat()}: before the referral was received")
        counts = (
            _evidence(session, row)["totals"]["by_category"] if action.kind is ActionKind.CHARGE else None
        )
        session.add(
            ActionRow(
                case_id=row.id,
                kind=action.kind.value,
                done_on=done,
                at=_now(),
                by=who,
                offence=None if action.offence is None else action.offence.value,
                counts=counts,
                children_safeguarded=action.children_safeguarded,
                devices=devices,
                note=note,
            )
        )
        stopped = False
        if action.kind in ENFORCEMENT and (row.first_action is None or done < row.first_action):
            row.first_action, stopped = done, True
        if action.kind is ActionKind.NFA:
            row.status, row.closed = Status.CLOSED.value, done
        elif row.status != Status.CLOSED:
            row.status = Status.ACTION_TAKEN.value
        session.flush()
        record(
            session,
            actor,
            "case.action",
            _target(reference),
            {
                "by": who,
                "kind": action.kind.value,
                "on": done.isoformat(),
                "offence": None if action.offence is None else action.offence.value,
                "children_safeguarded": action.children_safeguarded,
                "devices": devices,
                "clock_stopped": stopped,
            },
        )
        return {
            "reference": reference,
            "kind": action.kind.value,
            "on": done.isoformat(),
            "status": row.status,
            "first_action": None if row.first_action is None else row.first_action.isoformat(),
            "counts": counts,
        }


def set_status(
    db: Database, actor: Actor, reference: str, status: Status, today: date | None = None
) -> dict[str, Any]:
    """Set a case's status by hand (close it, or reopen it as in progress)."""
    with db.session() as session:
        row = _get(session, reference)
        before = row.status
        row.status = status.value
        row.closed = _today(today) if status is Status.CLOSED else None
        session.flush()
        record(session, actor, "case.status", _target(reference), {"from": before, "to": status.value})
        return {"reference": reference, "status": row.status}


# --- views -----------------------------------------------------------------------------------------------


def _clocked(row: CaseRow, operation: str | None, model: RiskModel) -> clock.Clocked:
    # Until assessed, the most urgent level's target applies (an unassessed referral may be Very High).
    deadline = row.deadline
    if deadline is None:
        deadline = row.received + timedelta(days=model.levels[0].target_days)
    return clock.Clocked(
        reference=row.reference,
        status=row.status,
        received=row.received,
        level=row.level,
        level_label=row.level_label,
        level_rank=row.level_rank,
        deadline=deadline,
        first_action=row.first_action,
        closed=row.closed,
        operation=operation,
    )


def _all_clocked(session: Session, model: RiskModel, operation_id: int | None = None) -> list[clock.Clocked]:
    # Columns, not ORM objects: the queue reads every case (20,000: 0.6 s, not 2.7 s, on SQLite).
    query = select(
        CaseRow.reference,
        CaseRow.status,
        CaseRow.received,
        CaseRow.level,
        CaseRow.level_label,
        CaseRow.level_rank,
        CaseRow.deadline,
        CaseRow.first_action,
        CaseRow.closed,
        OperationRow.name,
    ).outerjoin(OperationRow, CaseRow.operation_id == OperationRow.id)
    if operation_id is not None:
        query = query.where(CaseRow.operation_id == operation_id)
    urgent = timedelta(days=model.levels[0].target_days)
    return [
        clock.Clocked(ref, status, day, level, label, rank, deadline or day + urgent, first, closed, op)
        for ref, status, day, level, label, rank, deadline, first, closed, op in session.execute(query)
    ]


def case_queue(
    db: Database, actor: Actor, today: date | None = None, include_closed: bool = False
) -> list[dict[str, Any]]:
    """The queue: ``[{"reference", "level", "deadline", "overdue", "status", ...}]`` in order."""
    day = _today(today)
    model = model_in_force().model
    with db.session() as session:
        cases = clock.queue(_all_clocked(session, model), day, include_closed)
        record(
            session,
            actor,
            "case.list",
            "cases",
            {"as_of": day.isoformat(), "shown": len(cases), "closed_included": include_closed},
        )
    return [c.as_dict(day) for c in cases]


def _levels(model: RiskModel) -> list[clock.LevelInfo]:
    return [clock.LevelInfo(x.id, x.label, x.target_days) for x in model.levels]


def case_figures(db: Database, actor: Actor, today: date | None = None) -> dict[str, Any]:
    """The inspectorate's figures over every case (§3 of issue 13)."""
    day = _today(today)
    model = model_in_force().model
    with db.session() as session:
        out = clock.figures(_all_clocked(session, model), _levels(model), day)
        record(session, actor, "case.figures", "cases", {"as_of": day.isoformat()})
    return out


def show_case(db: Database, actor: Actor, reference: str, today: date | None = None) -> dict[str, Any]:
    """Everything about one case: referral, subject, latest assessment and its history, evidence from the
    linked scans, hotline reports, actions and the timeline. Viewing is audited."""
    day = _today(today)
    model = model_in_force().model
    with db.session() as session:
        row = _get(session, reference)
        op_name = None
        if row.operation_id is not None:
            op = session.get(OperationRow, row.operation_id)
            op_name = None if op is None else op.name
        state = _clocked(row, op_name, model).as_dict(day)
        assessments = list(
            session.scalars(
                select(AssessmentRow).where(AssessmentRow.case_id == row.id).order_by(AssessmentRow.id)
            )
        )
        actions = list(
            session.scalars(
                select(ActionRow).where(ActionRow.case_id == row.id).order_by(ActionRow.done_on, ActionRow.id)
            )
        )
        reports = list(
            session.scalars(
                select(ReportLinkRow).where(ReportLinkRow.case_id == row.id).order_by(ReportLinkRow.id)
            )
        )
        evidence = _evidence(session, row)
        statuses = hotline_statuses(session, [r.reference for r in reports])
        record(session, actor, "case.view", _target(reference), {})
        latest = assessments[-1] if assessments else None
        return {
            **state,
            "source": row.source,
            "source_label": SOURCE_LABELS.get(Source(row.source), row.source),
            "referral_reference": row.referral_reference,
            "subject": {
                "label": row.subject_label,
                "name": row.subject_name,
                "birth_year": row.subject_birth_year,
            },
            "officer": row.officer,
            "created": row.created.isoformat(),
            "created_by": row.created_by,
            "closed": None if row.closed is None else row.closed.isoformat(),
            "assessment": None if latest is None else _assessment(latest, model),
            "assessments": [
                {
                    "at": a.at.isoformat(),
                    "by": a.by,
                    "level": a.level,
                    "level_label": a.level_label,
                    "rule": a.rule,
                    "model": a.model_name,
                }
                for a in assessments
            ],
            "exhibits": evidence["exhibits"],
            "evidence": {"scans": evidence["scans"], "totals": evidence["totals"]},
            "reports": [
                {
                    "reference": r.reference,
                    "added": r.added.isoformat(),
                    "by": r.by,
                    "checked": r.reference in statuses,
                    "status": statuses.get(r.reference),
                }
                for r in reports
            ],
            "actions": [_action(a) for a in actions],
            "children_safeguarded": sum(a.children_safeguarded for a in actions),
            "timeline": _timeline(row, assessments, actions, reports, evidence["links"]),
        }


def _assessment(a: AssessmentRow, model: RiskModel) -> dict[str, Any]:
    steps = {s.id: s.title for s in model.steps}
    answers = []
    for factor_id, given in a.answers.items():
        factor = model.factor(factor_id)
        answers.append(
            {
                "factor": factor_id,
                # A factor of an earlier model that the one in force no longer has keeps its id.
                "step": steps.get(factor.step, factor.step) if factor else None,
                "question": factor.question if factor else factor_id,
                "answer": given.get("answer"),
                "source": given.get("source"),
            }
        )
    return {
        "at": a.at.isoformat(),
        "by": a.by,
        "model": {"name": a.model_name, "origin": a.model_origin, "digest": a.model_digest},
        "level": a.level,
        "level_label": a.level_label,
        "rule": a.rule,
        "reasons": a.reasons,
        "gaps": a.gaps,
        "deadline": a.deadline.isoformat(),
        "answers": answers,
    }


def _action(a: ActionRow) -> dict[str, Any]:
    kind = ActionKind(a.kind)
    return {
        "kind": a.kind,
        "label": ACTION_LABELS[kind],
        "on": a.done_on.isoformat(),
        "by": a.by,
        "offence": a.offence,
        "counts": a.counts,
        "children_safeguarded": a.children_safeguarded,
        "devices": a.devices,
        "note": a.note,
        "enforcement": kind in ENFORCEMENT,
    }


def _evidence(session: Session, row: CaseRow) -> dict[str, Any]:
    """Facts from the linked scans, per scan and summed: shown beside the factors, never turned into
    answers."""
    links = list(
        session.execute(
            select(ScanLinkRow, ExhibitRow.label)
            .join(ExhibitRow, ScanLinkRow.exhibit_id == ExhibitRow.id)
            .where(ScanLinkRow.case_id == row.id)
            .order_by(ScanLinkRow.id)
        )
    )
    exhibits: dict[str, list[int]] = {}
    for ex in session.scalars(select(ExhibitRow).where(ExhibitRow.case_id == row.id).order_by(ExhibitRow.id)):
        exhibits[ex.label] = []
    scans: list[dict[str, Any]] = []
    seen: set[int] = set()
    totals: dict[str, Any] = {"items": 0, "matched": 0, "videos": 0, "matched_videos": 0, "unknown": 0}
    by_category: dict[str, int] = {}
    for link, label in links:
        exhibits.setdefault(label, []).append(link.scan_id)
        if link.scan_id in seen:  # one scan under two exhibits counts once
            continue
        seen.add(link.scan_id)
        found = scan_evidence(session, link.scan_id)
        if found is None:
            scans.append({"scan_id": link.scan_id, "missing": True})
            continue
        facts = found.as_dict()
        scans.append(facts)
        for key in totals:
            totals[key] += facts[key]
        for code, n in found.by_category.items():
            by_category[code] = by_category.get(code, 0) + n
    graded = sum(by_category.get(c, 0) for c in ("A", "B", "C"))
    totals["by_category"] = by_category
    totals["category_a_share"] = None if graded == 0 else round(by_category.get("A", 0) / graded, 4)
    return {
        "exhibits": [{"label": k, "scans": v} for k, v in exhibits.items()],
        "scans": scans,
        "totals": totals,
        "links": [(link.added, f"scan {link.scan_id} linked to exhibit {label}") for link, label in links],
    }


def _timeline(
    row: CaseRow,
    assessments: list[AssessmentRow],
    actions: list[ActionRow],
    reports: list[ReportLinkRow],
    links: list[tuple[datetime, str]],
) -> list[dict[str, Any]]:
    events: list[tuple[str, str]] = [(row.received.isoformat(), "referral received")]
    events.append((_stamp(row.created), f"case opened by {row.created_by}"))
    for a in assessments:
        events.append((_stamp(a.at), f"assessed {a.level_label} by {a.by}"))
    for at, what in links:
        events.append((_stamp(at), what))
    for r in reports:
        events.append((_stamp(r.added), f"hotline report {r.reference} linked"))
    for act in actions:
        events.append((act.done_on.isoformat(), f"{ACTION_LABELS[ActionKind(act.kind)]} (by {act.by})"))
    if row.closed is not None:
        events.append((row.closed.isoformat(), "closed"))
    # By day, and within a day in the order things are done (opened, assessed, linked, acted): actions
    # carry a date without a time, and must not come before the case was opened that day.
    return [{"at": at, "what": what} for at, what in sorted(events, key=lambda e: e[0][:10])]


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- operations ------------------------------------------------------------------------------------------


def _totals(session: Session, operation_id: int) -> dict[str, Any]:
    case_ids = select(CaseRow.id).where(CaseRow.operation_id == operation_id)
    kinds = dict(
        session.execute(
            select(ActionRow.kind, func.count())
            .where(ActionRow.case_id.in_(case_ids))
            .group_by(ActionRow.kind)
        ).all()
    )
    charged = session.execute(
        select(func.count(func.distinct(ActionRow.case_id))).where(
            ActionRow.case_id.in_(case_ids), ActionRow.kind == ActionKind.CHARGE.value
        )
    ).scalar_one()
    sums = session.execute(
        select(
            func.coalesce(func.sum(ActionRow.children_safeguarded), 0),
            func.coalesce(func.sum(ActionRow.devices), 0),
        ).where(ActionRow.case_id.in_(case_ids))
    ).one()
    cases = session.execute(
        select(func.count()).select_from(CaseRow).where(CaseRow.operation_id == operation_id)
    )
    return {
        "cases": int(cases.scalar_one()),
        "arrests": int(kinds.get(ActionKind.ARREST.value, 0)),
        "people_charged": int(charged),
        "children_safeguarded": int(sums[0]),
        "devices_seized": int(sums[1]),
    }


def list_operations(db: Database, actor: Actor) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = list(session.scalars(select(OperationRow).order_by(OperationRow.name)))
        out = [{"name": r.name, **_totals(session, r.id)} for r in rows]
        record(session, actor, "operation.list", "operations", {"shown": len(out)})
    return out


def show_operation(db: Database, actor: Actor, name: str, today: date | None = None) -> dict[str, Any]:
    """An operation's totals (arrests, people charged, children safeguarded, devices seized) and its cases
    in queue order with their figures."""
    day = _today(today)
    model = model_in_force().model
    with db.session() as session:
        row = session.execute(select(OperationRow).where(OperationRow.name == name)).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no operation {name[:100]!r}")
        cases = _all_clocked(session, model, row.id)
        out = {
            "name": row.name,
            "created": row.created.isoformat(),
            **_totals(session, row.id),
            "figures": clock.figures(cases, _levels(model), day),
            "queue": [c.as_dict(day) for c in clock.queue(cases, day, include_closed=True)],
        }
        record(session, actor, "operation.view", f"operation:{row.name}", {"as_of": day.isoformat()})
    return out
