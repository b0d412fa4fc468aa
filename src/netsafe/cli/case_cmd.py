"""``netsafe case``: referrals, risk assessments with reasons, links, actions, the queue and the risk model.

Every command calls one operation of ``netsafe.cases.service`` as the command-line actor; ``--user`` names
the investigator who answers for an assessment or an action (checked: their role must work cases).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netsafe.cases.vocab import (
    DEFAULT_EXHIBIT,
    ActionKind,
    CaseInputError,
    Offence,
    Source,
    parse_choice,
    parse_day,
)
from netsafe.cli.common import command_store
from netsafe.cli.common import emit_json as _emit
from netsafe.cli.errors import handled

if TYPE_CHECKING:
    from netsafe.store.db import Database

COMMAND = "netsafe case"

app = typer.Typer(
    name="case",
    help="Cases: referrals, risk assessment with reasons, the response clock, actions and outcomes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="The risk model in force, and checking a model file.", no_args_is_help=True)
app.add_typer(model_app, name="model")

SOURCES = "|".join(s.value for s in Source)
KINDS = ", ".join(k.value for k in ActionKind)


def _store() -> AbstractContextManager[Database]:
    return command_store(COMMAND)


def _day(text: str | None, option: str) -> date | None:
    return None if text is None else parse_day(text, option)


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CaseInputError(f"{option} {item[:60]!r}: write it as FACTOR=VALUE")
        out[key.strip()] = value
    return out


@app.command("add")
def add_command(
    reference: str = typer.Argument(..., help="The case's reference (letters, digits, '.', '_', '-')."),
    source: str = typer.Option(..., "--source", help=f"Where the referral came from: {SOURCES}."),
    received: str = typer.Option(..., "--received", help="The date the referral was received, YYYY-MM-DD."),
    operation: str | None = typer.Option(None, "--operation", help="The operation it belongs to."),
    referral_ref: str | None = typer.Option(None, "--referral-ref", help="The referral's own reference."),
    subject: str | None = typer.Option(
        None, "--subject", help="A pseudonymous label for the subject (default: 'subject of REF')."
    ),
    officer: str | None = typer.Option(None, "--officer", help="The officer in charge."),
    json_out: bool = typer.Option(False, "--json", help="Print the new case as one JSON object."),
) -> None:
    """Open a case for a referral. The subject is a pseudonymous label here; personal details, if any,
    are given through the page or the API, not on a command line that shell history keeps."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service

    with handled(COMMAND):
        new = service.NewCase(
            reference=reference,
            source=parse_choice(Source, source, "--source"),
            received=parse_day(received, "--received"),
            referral_reference=referral_ref,
            subject_label=subject,
            officer=officer,
            operation=operation,
        )
    with _store() as db:
        out = service.add_case(db, Actor.cli(), new)
    if json_out:
        _emit(out)
    else:
        typer.echo(f"case {out['reference']} opened: assess it by {out['deadline']}", err=True)


@app.command("assess")
def assess_command(
    reference: str = typer.Argument(..., help="The case's reference."),
    answers: list[str] = typer.Option(
        [], "--answer", help="FACTOR=yes|no|unknown (repeatable); a factor not given is unknown."
    ),
    notes: list[str] = typer.Option([], "--note", help="FACTOR=where the answer comes from (repeatable)."),
    user: str = typer.Option(..., "--user", help="The investigator who answers for the assessment."),
    json_out: bool = typer.Option(False, "--json", help='Print {"level", "reasons", "gaps", "deadline"}.'),
) -> None:
    """Assess (or re-assess) the case's risk under the model in force; earlier assessments are kept."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service
    from netsafe.cases.rules import parse_answer

    with handled(COMMAND):
        given = {k: parse_answer(v) for k, v in _pairs(answers, "--answer").items()}
        sources = _pairs(notes, "--note")
        stray = sorted(set(sources) - set(given))
        if stray:
            raise CaseInputError(f"--note {stray[0]!r}: give the factor's --answer too")
        answered = {k: service.Given(v, sources.get(k)) for k, v in given.items()}
    with _store() as db:
        out = service.assess_case(db, Actor.cli(), reference, answered, by=user)
    if json_out:
        _emit(out)
        return
    typer.echo(f"{out['reference']}: {out['level_label']}, act by {out['deadline']}")
    for reason in out["reasons"]:
        typer.echo(f"  because {reason}")
    for gap in out["gaps"]:
        more = f" (a yes would make it {gap['could_raise_to']})" if gap["could_raise_to"] else ""
        typer.echo(f"  unknown: {gap['question']}{more}")


@app.command("link")
def link_command(
    reference: str = typer.Argument(..., help="The case's reference."),
    scan: int | None = typer.Option(None, "--scan", min=1, help="A stored triage scan's id."),
    exhibit: str | None = typer.Option(
        None, "--exhibit", help=f"The exhibit (device) the scan is of (default: {DEFAULT_EXHIBIT!r})."
    ),
    report: str | None = typer.Option(None, "--report", help="A hotline report's reference."),
    json_out: bool = typer.Option(False, "--json", help="Print the link as one JSON object."),
) -> None:
    """Link a triage scan (to an exhibit) or a hotline report to the case."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service

    with handled(COMMAND):
        if (scan is None) == (report is None):
            raise CaseInputError("give either --scan SCAN_ID or --report HOTLINE_REF")
        if exhibit is not None and scan is None:
            raise CaseInputError("--exhibit goes with --scan")
    with _store() as db:
        if scan is not None:
            out = service.link_scan(db, Actor.cli(), reference, scan, exhibit)
        else:
            assert report is not None
            out = service.link_report(db, Actor.cli(), reference, report)
    if json_out:
        _emit(out)
    elif scan is not None:
        typer.echo(f"scan {scan} linked to {out['exhibit']} of case {reference}", err=True)
    else:
        typer.echo(f"hotline report {out['report']} linked to case {reference} (kept as given)", err=True)


@app.command("action")
def action_command(
    reference: str = typer.Argument(..., help="The case's reference."),
    kind: str = typer.Option(..., "--kind", help=f"What was done: {KINDS}."),
    on: str | None = typer.Option(None, "--on", help="When, YYYY-MM-DD (default: today)."),
    offence: str | None = typer.Option(
        None, "--offence", help="A charge's offence: possession, distribution or production."
    ),
    children: int = typer.Option(
        0, "--children-safeguarded", min=0, help="Children identified and safeguarded."
    ),
    devices: int | None = typer.Option(
        None, "--devices", min=0, help="Devices seized (a seizure; default 1)."
    ),
    note: str | None = typer.Option(None, "--note", help="A short note (no personal details)."),
    user: str = typer.Option(..., "--user", help="The investigator who answers for the action."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object."),
) -> None:
    """Record an action; the first enforcement action stops the case's clock, no further action closes it."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service

    with handled(COMMAND):
        action = service.NewAction(
            kind=parse_choice(ActionKind, kind, "--kind"),
            on=_day(on, "--on"),
            offence=None if offence is None else parse_choice(Offence, offence, "--offence"),
            children_safeguarded=children,
            devices=devices,
            note=note,
        )
    with _store() as db:
        out = service.record_action(db, Actor.cli(), reference, action, by=user)
    if json_out:
        _emit(out)
    else:
        typer.echo(f"{reference}: {out['kind']} on {out['on']} recorded; status {out['status']}", err=True)


@app.command("list")
def list_command(
    all_: bool = typer.Option(False, "--all", help="Include closed cases."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="The queue as it stands on this date (YYYY-MM-DD)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the queue as one JSON array."),
) -> None:
    """The queue: by level, then by days left to the deadline; overdue cases are marked."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service

    with handled(COMMAND):
        day = _day(as_of, "--as-of")
    with _store() as db:
        rows = service.case_queue(db, Actor.cli(), today=day, include_closed=all_)
    if json_out:
        _emit(rows)
        return
    for row in rows:
        mark = "OVERDUE " if row["overdue"] else ""
        left = "clock stopped" if row["days_left"] is None else f"{row['days_left']} days left"
        typer.echo(
            f"{mark}{row['reference']}\t{row['level_label']}\tdue {row['deadline']} ({left})\t{row['status']}"
        )
    overdue = sum(1 for r in rows if r["overdue"])
    typer.echo(f"{len(rows)} cases, {overdue} overdue", err=True)


@app.command("show")
def show_command(
    reference: str = typer.Argument(..., help="The case's reference."),
    json_out: bool = typer.Option(False, "--json", help="Print the case as one JSON object."),
) -> None:
    """One case: referral, subject, assessment with reasons and gaps, evidence, actions, timeline."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service

    with _store() as db:
        out = service.show_case(db, Actor.cli(), reference)
    if json_out:
        _emit(out)
        return
    typer.echo(f"{out['reference']} ({out['status']}): {out['level_label']}, due {out['deadline']}")
    if out["assessment"]:
        for reason in out["assessment"]["reasons"]:
            typer.echo(f"  because {reason}")
    for event in out["timeline"]:
        typer.echo(f"  {event['at']}  {event['what']}")


@app.command("figures")
def figures_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Figures as they stand on this date."),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """Cases by level, median days to first action, share meeting the target, the oldest open case."""
    from netsafe.audit.service import Actor
    from netsafe.cases import service

    with handled(COMMAND):
        day = _day(as_of, "--as-of")
    with _store() as db:
        out = service.case_figures(db, Actor.cli(), today=day)
    if json_out:
        _emit(out)
        return
    for row in out["levels"]:
        share = "-" if row["share_meeting_target"] is None else f"{row['share_meeting_target']:.0%}"
        typer.echo(
            f"{row['label']}\t{row['cases']} cases\t{row['overdue']} overdue\tmedian to first action "
            f"{row['median_days_to_first_action']} days\tmeeting target {share}"
        )


@model_app.command("show")
def model_show_command(
    json_out: bool = typer.Option(False, "--json", help="Print the model as one JSON object."),
) -> None:
    """The risk model in force: its factors, levels (with response targets) and rules."""
    from netsafe.cases.riskmodel import model_in_force

    with handled(COMMAND):
        loaded = model_in_force()
    summary = loaded.model.summary() | {"origin": loaded.origin, "digest": loaded.digest}
    if json_out:
        _emit(summary)
        return
    typer.echo(f"{loaded.model.name} ({loaded.origin})")
    for level_id, level in summary["levels"].items():
        typer.echo(f"  {level['label']} ({level_id}): act within {level['target_days']} days")
    for factor in summary["factors"]:
        typer.echo(f"  [{factor['step']}] {factor['id']}: {factor['question']}")


@model_app.command("validate")
def model_validate_command(
    file: Path = typer.Argument(..., help="A risk model file (JSON)."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object."),
) -> None:
    """Check a risk model file: exit 0 if it can be used, else one line naming the line and the field."""
    from netsafe.cases.riskmodel import load_model_file

    with handled(COMMAND):
        loaded = load_model_file(file)
    out = {
        "valid": True,
        "name": loaded.model.name,
        "digest": loaded.digest,
        "factors": len(loaded.model.factors),
        "rules": len(loaded.model.rules),
    }
    if json_out:
        _emit(out)
    else:
        typer.echo(f"{file.name}: valid ({out['factors']} factors, {out['rules']} rules)")
