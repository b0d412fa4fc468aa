"""``netsafe hotline ...``: the hotline's operations from the command line (issue 11, section 7).

Each command translates its options into one call of the hotline's services and prints the result: a
short text, or with ``--json`` the one JSON shape the API gives too. Exit codes: 0 ok, 1 a partial
failure (some items, notices or checks failed), 2 a usage error; errors are one line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from netsafe.audit.service import Actor
from netsafe.cli.errors import EXIT_FAILURES, fail, handled
from netsafe.hotline import assessment, capturing, intake, views
from netsafe.hotline.assessment import Verdict
from netsafe.hotline.states import Outcome
from netsafe.hotline.storage import open_vault
from netsafe.services.matcher import Matcher
from netsafe.store.db import Database, open_database
from netsafe.web.config import Settings, load_settings

COMMAND = "netsafe hotline"

app = typer.Typer(
    name="hotline",
    help="The hotline: reports of URLs, capture, assessment, host tracing, notices, monitoring to removal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

JSON_HELP = "Print JSON."


@contextmanager
def store() -> Iterator[Database]:
    with handled(COMMAND):
        db = open_database()
        try:
            yield db
        finally:
            db.dispose()


def settings() -> Settings:
    with handled(COMMAND):
        return load_settings()


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)


@app.command("report")
def report_command(
    url: str = typer.Argument(..., help="The address of the page (http:// or https://)."),
    description: str | None = typer.Option(None, "--description", help="What was seen."),
    email: str | None = typer.Option(None, "--email", help="Where to send the reference and feedback."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Report a URL: answers with its reference, status and the report it duplicates (if any)."""
    actor = Actor.cli()
    with store() as db, handled(COMMAND):
        out = intake.submit(db, actor, [intake.NewReport(url, description, email)], actor.name)[0]
    result = {"reference": out.reference, "status": out.status, "duplicate_of": out.duplicate_of}
    if json_out:
        emit(result)
    else:
        extra = f" (duplicate of {out.duplicate_of})" if out.duplicate_of else ""
        extra += f" (waits with {out.linked_to})" if out.linked_to else ""
        typer.echo(f"{out.reference} {out.status}{extra}")


@app.command("list")
def list_command(
    status: str | None = typer.Option(None, "--status", help="Only reports in this state."),
    limit: int = typer.Option(100, "--limit", help="At most this many (1-1000), oldest first."),
    offset: int = typer.Option(0, "--offset", help="Skip this many."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List reports, oldest first."""
    with store() as db, handled(COMMAND):
        rows = views.list_reports(db, status, limit, offset)
    if json_out:
        emit(rows)
        return
    for r in rows:
        typer.echo(
            f"{r['reference']}  {r['status']:<9} {_text(r['outcome'] or ''):<13} "
            f"{_text(r['category'] or '-'):<2} "
            f"{r['received_at'][:16]}  {_text(r['url'])[:80]}"
        )
    typer.echo(f"{len(rows)} report(s)", err=True)


@app.command("show")
def show_command(
    reference: str = typer.Argument(..., help="The report's reference."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show one report: its items (hashes and matches, never content), assessments, traces, notices,
    checks and history."""
    with store() as db, handled(COMMAND):
        data = views.show(db, reference)
    if json_out:
        emit(data)
        return
    for key in ("reference", "url", "status", "outcome", "category", "age_band", "country", "route"):
        typer.echo(f"{key:>14}: {_text(data[key])}")
    typer.echo(f"{'items':>14}: {len(data['items'])}")
    for item in data["items"]:
        known = f" known {item['known_category']}" if item["known_category"] else ""
        typer.echo(f"{'':>16}{item['sha256'][:16]}  {item['kind']:<6}{known}  {_text(item['url'])[:70]}")
    for h in data["history"]:
        typer.echo(f"{'history':>14}: {h['at'][:19]} {h['from'] or '-'} -> {h['to']} by {_text(h['actor'])}")


@app.command("assess")
def assess_command(
    reference: str = typer.Argument(..., help="The report's reference."),
    user: str = typer.Option(..., "--user", help="The analyst who assessed it."),
    criminal: bool = typer.Option(
        False, "--criminal", help="Criminal content (give --category, --age-band)."
    ),
    not_criminal: bool = typer.Option(False, "--not-criminal", help="Not criminal."),
    outside_remit: bool = typer.Option(False, "--outside-remit", help="Outside the hotline's remit."),
    category: str | None = typer.Option(None, "--category", help="A, B or C (the most severe seen)."),
    age_band: str | None = typer.Option(
        None, "--age-band", help="Youngest child: " + ", ".join(assessment.AGE_BANDS)
    ),
    sex: str | None = typer.Option(None, "--sex", help=", ".join(assessment.SEXES)),
    self_generated: bool = typer.Option(False, "--self-generated", help="Self-generated content."),
    commercial: bool = typer.Option(False, "--commercial", help="Commercial content."),
    site_type: str | None = typer.Option(None, "--site-type", help=", ".join(assessment.SITE_TYPES)),
    appeal: bool = typer.Option(False, "--appeal", help="Re-assess (a second analyst); both are kept."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Assess a report: criminal (with category and age band) or not criminal."""
    chosen = [o for o, on in ((Outcome.CRIMINAL, criminal), (Outcome.NOT_CRIMINAL, not_criminal),
                              (Outcome.OUTSIDE_REMIT, outside_remit)) if on]  # fmt: skip
    if len(chosen) != 1:
        fail("give exactly one of --criminal, --not-criminal, --outside-remit", command=COMMAND)
    verdict = Verdict(
        chosen[0],
        site_type=site_type,
        category=category,
        age_band=age_band,
        sex=sex,
        self_generated=self_generated,
        commercial=commercial,
    )
    with store() as db, handled(COMMAND):
        out = assessment.assess(db, Actor.cli(), user, reference, verdict, appeal=appeal)
    if json_out:
        emit(out)
    else:
        typer.echo(f"{out['reference']} {out['status']} ({out['outcome']}, {out['category'] or '-'})")


@app.command("capture")
def capture_command(
    reference: str = typer.Argument(..., help="The report's reference."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fetch the reported page and its media, hash and match every item, keep the bytes encrypted.
    Exit 1 when the page or some of its items could not be fetched."""
    config = settings().hotline
    with store() as db, handled(COMMAND):
        out = capturing.capture(
            db,
            Actor.cli(),
            reference,
            settings=config,
            matcher=Matcher(db),
            vault=open_vault(config, db),
        )
    failed = out["error"] is not None or bool(out["errors"])
    if json_out:
        emit({k: out[k] for k in ("reference", "status", "final_url", "items", "errors", "error")})
    else:
        typer.echo(
            f"{out['reference']} {out['status']}: {len(out['items'])} item(s) from {_text(out['final_url'])}"
        )
        for item in out["items"]:
            known = f" known {item['known_category']}" if item["known_category"] else ""
            typer.echo(f"  {item['sha256'][:16]} {item['kind']:<6}{known} {_text(item['url'])[:80]}")
    for line in ([out["error"]] if out["error"] else []) + out["errors"]:
        typer.echo(f"{COMMAND}: capture: {' '.join(_text(line).split())}", err=True)
    if failed:
        raise typer.Exit(EXIT_FAILURES)


__all__ = ["EXIT_FAILURES", "app", "settings"]
