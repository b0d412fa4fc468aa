"""``netsafe stats``: the figures (internal by default at the console, which holds the store; ``--published``
under disclosure control), the offences import and the annual report. Each command calls
``netsafe.stats`` as the command-line actor and only translates."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from netsafe.cli.errors import handled
from netsafe.errors import InvalidInput
from netsafe.stats.disclosure import Rule
from netsafe.stats.sections import SECTIONS

COMMAND = "netsafe stats"

app = typer.Typer(
    name="stats",
    help="Statistics: figures from the hotline, triage and cases, recorded offences, the annual report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} {text[:20]!r}: give a date as YYYY-MM-DD") from None


def _text(out: dict[str, Any]) -> str:
    lines = [f"# {out['section']} ({out['rule']})"]
    for row in out["rows"]:
        figure = row.get("count", row.get("value"))
        keys = " ".join(str(v) for k, v in row.items() if k not in ("count", "value"))
        lines.append(f"{keys}\t{'suppressed' if figure is None else figure}")
    return "\n".join(lines)


@app.command("show")
def show_command(
    section: str | None = typer.Option(
        None, "--section", help=f"One of {', '.join(SECTIONS)} (default: all)."
    ),
    start: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD."),
    force: str | None = typer.Option(None, "--force", help="Offences: one police force area."),
    hashset: str | None = typer.Option(None, "--hashset", help="Triage and review: one hash set."),
    operation: str | None = typer.Option(None, "--operation", help="Cases: one operation."),
    published: bool = typer.Option(False, "--published", help="Under disclosure control, as published."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per section."),
) -> None:
    """Show the figures: {"section", "rule", "rows"}; a suppressed cell is null."""
    from netsafe.audit.service import Actor
    from netsafe.stats import service
    from netsafe.store.db import open_database
    from netsafe.web.config import load_settings

    with handled(COMMAND):
        period = service.Period(_day(start, "--from"), _day(end, "--to")).check()
        rule = Rule.from_settings(load_settings().stats) if published else None
        code = service.force_code(force) if force else None
        db = open_database()
        try:
            for name in [section] if section else list(SECTIONS):
                out = service.show(
                    db, Actor.cli(), name, period, rule, code, hashset=hashset, operation=operation
                )
                sys.stdout.write(
                    (json.dumps(out, ensure_ascii=False, separators=(",", ":")) if as_json else _text(out))
                    + "\n"
                )
        finally:
            db.dispose()


@app.command("import-offences")
def import_offences_command(
    file: Path = typer.Argument(..., help="CSV: force,year,offence,count[,population]."),
) -> None:
    """Import recorded offences by police force area and year (all rows or none)."""
    from netsafe.audit.service import Actor
    from netsafe.stats import offences
    from netsafe.store.db import open_database

    with handled(COMMAND):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            kind = "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else "cannot be read"
            raise InvalidInput(f"{file.name}: {kind}; give a UTF-8 CSV file") from None
        db = open_database()
        try:
            done = offences.import_offences(db, Actor.cli(), text, file.name)
        finally:
            db.dispose()
        sys.stdout.write(f"imported {done['rows']} rows for {done['forces']} forces\n")


@app.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the hotline's daily summary from the reports (after a bulk load outside netsafe)."""
    from netsafe.audit.service import Actor
    from netsafe.stats import service
    from netsafe.store.db import open_database

    with handled(COMMAND):
        db = open_database()
        try:
            done = service.rebuild(db, Actor.cli())
        finally:
            db.dispose()
        sys.stdout.write(f"rebuilt the hotline's daily summary: {done['cells']} cells\n")


@app.command("report")
def report_command(
    year: int = typer.Option(..., "--year", help="The year, e.g. 2026."),
    out: Path = typer.Option(..., "--out", help="The folder to write statistics-YEAR.html and .pdf into."),
    internal: bool = typer.Option(
        False, "--internal", help="Counts before disclosure control (not for publication)."
    ),
) -> None:
    """The annual report: charts, tables and a summary of the year's headline figures, in HTML and PDF."""
    from netsafe.audit.service import Actor
    from netsafe.stats import report
    from netsafe.store.db import open_database
    from netsafe.web.config import load_settings

    with handled(COMMAND):
        rule = None if internal else Rule.from_settings(load_settings().stats)
        db = open_database()
        try:
            done = report.write_report(db, Actor.cli(), year, out, rule)
        finally:
            db.dispose()
        sys.stdout.write(f"wrote {done['html']} and {done['pdf']}\n")
