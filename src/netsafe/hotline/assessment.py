"""Assessment: an analyst's verdict on a report and its items, and the appeal that adds a second one.

Per item: the UK category (A/B/C, the ``uk-caid`` profile as in hash sets), the age band of the youngest
child, sex, self-generated, commercial. Per report: criminal or not, the site type; a report takes its most
severe category and its youngest age band (items known by hash count with the grade they carry). A criminal
item can be added to a hash set in the same action: a new entry, or a vote on the entry that has its
SHA-256 already (the grade-once loop). The check, every change and their audit events are one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, InvalidInput, Unavailable
from netsafe.hashsets.model import Entry, Vote
from netsafe.hashsets.profiles import GradingProfile, load_profile
from netsafe.hotline import grading
from netsafe.hotline.common import at, change_state, get_report
from netsafe.hotline.models import AssessmentRow, ItemAssessmentRow, ItemRow, ReportRow
from netsafe.hotline.referrals import after_assessment, is_self_referred
from netsafe.hotline.states import PENDING, Outcome, Status
from netsafe.hotline.vault import Vault
from netsafe.store import repositories as repo
from netsafe.store.db import Database

PROFILE = "uk-caid"
AGE_BANDS = grading.AGE_BANDS
SEXES = grading.SEXES
SITE_TYPES = grading.SITE_TYPES
OUTCOMES = (Outcome.CRIMINAL, Outcome.NOT_CRIMINAL, Outcome.OUTSIDE_REMIT)
MAX_COMMENT = 2000


@dataclass(frozen=True, slots=True)
class ItemGrade:
    item_id: int
    category: str | None = None  # None: not indecent
    age_band: str | None = None
    sex: str | None = None
    self_generated: bool = False
    commercial: bool = False
    add_to: str | None = None  # a hash set to add it to (its grade a vote there)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    site_type: str | None = None
    category: str | None = None  # for the report as a whole (the command line's --category)
    age_band: str | None = None
    sex: str | None = None
    self_generated: bool = False
    commercial: bool = False
    items: Sequence[ItemGrade] = field(default_factory=tuple)
    comment: str | None = None


def profile() -> GradingProfile:
    return load_profile(PROFILE)


def parse_outcome(text: str) -> Outcome:
    value = text.strip().lower().replace("-", "_").replace(" ", "_")
    for outcome in OUTCOMES:
        if value == outcome.value:
            return outcome
    raise InvalidInput(f"outcome: choose one of {', '.join(o.value for o in OUTCOMES)}")


def check_category(text: str | None, field_name: str = "category") -> str | None:
    if text is None or not str(text).strip():
        return None
    wanted = str(text).strip().upper()
    if wanted not in profile().codes:
        raise InvalidInput(
            f"{field_name}: choose one of {', '.join(profile().codes)}, got {str(text)[:20]!r}"
        )
    return wanted


def _choice(text: str | None, allowed: Sequence[str], field_name: str) -> str | None:
    if text is None or not str(text).strip():
        return None
    value = str(text).strip().lower().replace(" ", "_")
    if value not in allowed:
        raise InvalidInput(f"{field_name}: choose one of {', '.join(allowed)}, got {str(text)[:20]!r}")
    return value


def check_age_band(text: str | None, field_name: str = "age_band") -> str | None:
    return _choice(text, AGE_BANDS, field_name)


def check_sex(text: str | None, field_name: str = "sex") -> str | None:
    return _choice(text, SEXES, field_name)


def check_site_type(text: str | None, field_name: str = "site_type") -> str | None:
    return _choice(text, SITE_TYPES, field_name)


def most_severe(categories: Sequence[str | None]) -> str | None:
    graded = [c for c in categories if c]
    prof = profile()
    return max(graded, key=prof.severity) if graded else None


def youngest(bands: Sequence[str | None]) -> str | None:
    given = [b for b in bands if b]
    return min(given, key=AGE_BANDS.index) if given else None


def _checked(verdict: Verdict) -> Verdict:
    """The verdict with every value checked and spelled canonically; InvalidInput names the field."""
    items = []
    for n, g in enumerate(verdict.items):
        where = f"items[{n}]"
        category = check_category(g.category, f"{where}.category")
        band = check_age_band(g.age_band, f"{where}.age_band")
        if category and not band:
            raise InvalidInput(f"{where}.age_band: give the age band of the youngest child")
        if g.add_to and not category:
            raise InvalidInput(f"{where}.add_to: only an item graded A, B or C can be added to a hash set")
        if not category and (band or g.sex or g.self_generated or g.commercial):
            raise InvalidInput(f"{where}.category: give the category of an item with an age band or sex")
        items.append(
            ItemGrade(
                g.item_id,
                category,
                band,
                check_sex(g.sex, f"{where}.sex"),
                g.self_generated,
                g.commercial,
                g.add_to.strip() if g.add_to and g.add_to.strip() else None,
            )
        )
    category = check_category(verdict.category)
    band = check_age_band(verdict.age_band)
    criminal = verdict.outcome == Outcome.CRIMINAL
    if criminal:
        if not category and not any(i.category for i in items):
            raise InvalidInput("category: a criminal report needs a category (A, B or C)")
        if category and not band:
            raise InvalidInput("age_band: give the age band of the youngest child")
    elif category or band or any(i.category for i in items):
        raise InvalidInput(f"category: a report assessed {verdict.outcome.value} has no category")
    comment = (verdict.comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment: at most {MAX_COMMENT} characters")
    return Verdict(
        verdict.outcome,
        check_site_type(verdict.site_type),
        category,
        band,
        check_sex(verdict.sex),
        verdict.self_generated,
        verdict.commercial,
        tuple(items),
        comment,
    )


def assess(
    db: Database,
    actor: Actor,
    analyst: str,
    reference: str,
    verdict: Verdict,
    *,
    appeal: bool = False,
    now: datetime | None = None,
    vault: Vault | Callable[[], Vault] | None = None,
) -> dict[str, Any]:
    """Record ``analyst``'s assessment (or, with ``appeal``, a second analyst's re-assessment, keeping the
    first). Raises InvalidInput naming the field, NotFound, or Conflict (wrong state, same analyst).

    A self-referred report (an upload) is settled in the same transaction and its sealed bytes deleted
    from ``vault`` once it commits; without a vault such a report is refused before anything changes."""
    verdict = _checked(verdict)
    analyst = analyst.strip()[:200]
    if not analyst:
        raise InvalidInput("user: name the analyst who assessed the report")
    when = at(now)
    with db.session() as session:
        report = get_report(session, reference, lock=True)
        if vault is None and is_self_referred(report):
            raise Unavailable(
                f"report {report.reference} is an upload: its picture is deleted after assessment, which "
                "needs the hotline's vault (this door did not open it)"
            )
        if report.linked_to is not None:
            first = session.get(ReportRow, report.linked_to)
            raise Conflict(
                f"report {report.reference} waits with {first.reference if first else 'another report'}: "
                "assess that one"
            )
        previous = session.scalars(
            select(AssessmentRow)
            .where(AssessmentRow.report_id == report.id)
            .order_by(AssessmentRow.id.desc())
        ).first()
        if appeal:
            if previous is None:
                raise Conflict(f"report {report.reference} has not been assessed yet: nothing to appeal")
            if previous.analyst == analyst:
                raise Conflict(f"an appeal is assessed by a second analyst, not {analyst} again")
        elif report.status not in PENDING or previous is not None:
            raise Conflict(
                f"report {report.reference} is {report.status} and assessed already: appeal to re-assess it"
            )
        items = {i.id: i for i in session.scalars(select(ItemRow).where(ItemRow.report_id == report.id))}
        for n, g in enumerate(verdict.items):
            if g.item_id not in items:
                raise InvalidInput(f"items[{n}].item: report {report.reference} has no item {g.item_id}")
        criminal = verdict.outcome == Outcome.CRIMINAL
        categories = [verdict.category, *(g.category for g in verdict.items)]
        if criminal:
            categories += [i.known_category for i in items.values()]
        category = most_severe(categories) if criminal else None
        band = youngest([verdict.age_band, *(g.age_band for g in verdict.items)]) if criminal else None
        row = AssessmentRow(
            report_id=report.id,
            analyst=analyst,
            at=when,
            outcome=verdict.outcome.value,
            criminal=criminal,
            site_type=verdict.site_type,
            category=category,
            age_band=band,
            appeal=appeal,
            comment=verdict.comment,
        )
        session.add(row)
        session.flush()
        votes = []
        for g in verdict.items:
            hashset = None
            if g.add_to:
                hashset = _vote(session, actor, analyst, report.reference, items[g.item_id], g, when)
                votes.append({"item": g.item_id, "hashset": hashset, "category": g.category})
            session.add(
                ItemAssessmentRow(
                    assessment_id=row.id,
                    item_id=g.item_id,
                    category=g.category,
                    age_band=g.age_band,
                    sex=g.sex,
                    self_generated=g.self_generated,
                    commercial=g.commercial,
                    hashset=hashset,
                )
            )
        report.outcome, report.criminal = verdict.outcome.value, criminal
        report.site_type, report.category, report.age_band = verdict.site_type, category, band
        report.assessed_at = when
        details: dict[str, Any] = {
            "analyst": analyst,
            "outcome": verdict.outcome.value,
            "category": category,
            "age_band": band,
            "items": len(verdict.items),
            "appeal": appeal,
            "votes": votes,
        }
        _move(session, actor, report, criminal, when, details, appeal)
        _settle_linked(session, actor, report, criminal, when)
        purged = after_assessment(session, actor, report, analyst, when) if is_self_referred(report) else []
        out = {
            "reference": report.reference,
            "status": report.status,
            "outcome": report.outcome,
            "category": category,
            "age_band": band,
            "appeal": appeal,
            "votes": votes,
        }
    if purged and vault is not None:
        # After the commit: an assessment that failed to land keeps the picture for the next try.
        (vault if isinstance(vault, Vault) else vault()).purge(purged)
    return out


def _move(
    session: Session,
    actor: Actor,
    report: ReportRow,
    criminal: bool,
    when: datetime,
    details: dict[str, Any],
    appeal: bool,
) -> None:
    action = "hotline.appeal" if appeal else "hotline.assess"
    current = Status(report.status)
    if current in PENDING:
        change_state(session, actor, report, Status.ASSESSED, when, action, details)
        if not criminal:
            report.closed_at = when
            change_state(
                session, actor, report, Status.CLOSED, when, "hotline.close", {"reason": report.outcome}
            )
    elif criminal and current == Status.CLOSED:
        report.closed_at = None
        change_state(session, actor, report, Status.ASSESSED, when, action, details, note="appeal")
    elif not criminal and current != Status.CLOSED:
        report.closed_at = when
        change_state(session, actor, report, Status.CLOSED, when, action, details, note="appeal")
    else:  # the same verdict's kind: the report stays where it is, the new assessment is recorded
        record(session, actor, action, f"report:{report.reference}", details)


def _settle_linked(session: Session, actor: Actor, report: ReportRow, criminal: bool, when: datetime) -> None:
    """Reports that waited with this one share its verdict: duplicates of it when criminal."""
    linked = session.scalars(
        select(ReportRow).where(
            ReportRow.linked_to == report.id, ReportRow.status.in_([s.value for s in PENDING])
        )
    ).all()
    for other in linked:
        other.outcome = Outcome.DUPLICATE.value if criminal else report.outcome
        if criminal:
            other.duplicate_of = report.id
        other.closed_at = when
        change_state(
            session,
            actor,
            other,
            Status.CLOSED,
            when,
            "hotline.close",
            {"reason": other.outcome, "assessed_with": report.reference},
        )


def _vote(
    session: Session,
    actor: Actor,
    analyst: str,
    reference: str,
    item: ItemRow,
    grade: ItemGrade,
    when: datetime,
) -> str:
    """Add the item to hash set ``grade.add_to`` with the analyst's grade as a vote; the set's name."""
    assert grade.add_to is not None and grade.category is not None
    hashset = repo.get_set(session, grade.add_to)
    set_profile = load_profile(hashset.profile)
    if not set_profile.has(grade.category):
        raise InvalidInput(
            f"add_to: hash set {hashset.name!r} uses profile {set_profile.name}, which has no category "
            f"{grade.category!r}"
        )
    found = repo.entry_ids_by_signal(session, hashset.id, "sha256", [item.sha256])
    added = not found
    if added:
        signals = {"sha256": item.sha256}
        if item.md5:
            signals["md5"] = item.md5
        if item.pdq:
            signals["pdq"] = item.pdq
        version = repo.next_version(session, hashset)
        repo.upsert_entries(
            session,
            hashset.id,
            version,
            [
                Entry(
                    signals=signals,
                    category=grade.category,
                    comments=f"hotline report {reference}",
                    media_size=item.size,
                    mime_type=item.mime,
                    origin_file="hotline",
                    origin_record=item.id,
                )
            ],
        )
        record(
            session,
            actor,
            "hashset.add",
            f"hashset:{hashset.name}",
            {"version": version, "added": 1, "updated": 0},
        )
        found = repo.entry_ids_by_signal(session, hashset.id, "sha256", [item.sha256])
    repo.add_vote(
        session,
        found[0],
        Vote(grader=analyst, category=grade.category, at=when, comment=f"hotline {reference}"),
    )
    record(
        session,
        actor,
        "hashset.vote",
        f"hashset:{hashset.name}",
        {
            "entry_id": found[0],
            "category": grade.category,
            "grader": analyst,
            "report": reference,
            "new_entry": added,
        },
    )
    return hashset.name
