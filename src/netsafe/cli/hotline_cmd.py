"""``netsafe hotline ...``: the hotline's operations from the command line (issue 11, section 7).

Each command translates its options into one call of the hotline's services and prints the result: a
short text, or with ``--json`` the one JSON shape the API gives too. Exit codes: 0 ok, 1 a partial
failure (some items, notices or checks failed), 2 a usage error; errors are one line.
"""

from __future__ import annotations

import sys
import time
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import typer

from netsafe.cli.common import command_store
from netsafe.cli.common import emit_json as emit
from netsafe.cli.errors import EXIT_FAILURES, fail, handled
from netsafe.hotline import grading
from netsafe.hotline.states import Outcome

if TYPE_CHECKING:
    from netsafe.hotline import assessment

if TYPE_CHECKING:
    from netsafe.store.db import Database
    from netsafe.web.config import Settings

COMMAND = "netsafe hotline"

app = typer.Typer(
    name="hotline",
    help="The hotline: reports of URLs, capture, assessment, host tracing, notices, monitoring to removal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

JSON_HELP = "Print JSON."


def store() -> AbstractContextManager[Database]:
    return command_store(COMMAND)


def settings() -> Settings:
    from netsafe.web.config import load_settings

    with handled(COMMAND):
        return load_settings()


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
    from netsafe.audit.service import Actor
    from netsafe.hotline import intake

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
    from netsafe.hotline import views

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
    from netsafe.hotline import views

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


def _item_grade(text: str, index: int) -> assessment.ItemGrade:
    from netsafe.hotline import assessment

    parts = text.split(":")
    if len(parts) not in (3, 4) or not parts[0].strip().isdigit():
        fail(
            f"--item {index + 1}: give ID:CATEGORY:AGE_BAND[:HASHSET], e.g. 12:B:11-13:confirmed",
            command=COMMAND,
        )
    return assessment.ItemGrade(
        int(parts[0]), parts[1], parts[2], add_to=parts[3] if len(parts) == 4 else None
    )


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
        None, "--age-band", help="Youngest child: " + ", ".join(grading.AGE_BANDS)
    ),
    sex: str | None = typer.Option(None, "--sex", help=", ".join(grading.SEXES)),
    self_generated: bool = typer.Option(False, "--self-generated", help="Self-generated content."),
    commercial: bool = typer.Option(False, "--commercial", help="Commercial content."),
    site_type: str | None = typer.Option(None, "--site-type", help=", ".join(grading.SITE_TYPES)),
    items: list[str] = typer.Option(
        [],
        "--item",
        help="Grade one captured item: ID:CATEGORY:AGE_BAND[:HASHSET] (ids from `show`); with HASHSET the "
        "item joins that set and the grade is a vote there. Repeat for more items.",
    ),
    appeal: bool = typer.Option(False, "--appeal", help="Re-assess (a second analyst); both are kept."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Assess a report: criminal (with category and age band) or not criminal."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import assessment
    from netsafe.hotline.assessment import Verdict

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
        items=[_item_grade(text, n) for n, text in enumerate(items)],
    )
    from netsafe.hotline.storage import open_vault

    with store() as db, handled(COMMAND):
        config = settings().hotline
        out = assessment.assess(
            db, Actor.cli(), user, reference, verdict, appeal=appeal, vault=lambda: open_vault(config, db)
        )
    if json_out:
        emit(out)
    else:
        typer.echo(f"{out['reference']} {out['status']} ({out['outcome']}, {out['category'] or '-'})")


@app.command("close")
def close_command(
    reference: str = typer.Argument(..., help="The report's reference."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in its history and the audit log)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Close a report by hand: no more notices or checks."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import closing

    with store() as db, handled(COMMAND):
        out = closing.close(db, Actor.cli(), reference, reason)
    if json_out:
        emit(out)
    else:
        typer.echo(f"{out['reference']} {out['status']}")


@app.command("capture")
def capture_command(
    reference: str = typer.Argument(..., help="The report's reference."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fetch the reported page and its media, hash and match every item, keep the bytes encrypted.
    Exit 1 when the page or some of its items could not be fetched."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import capturing
    from netsafe.hotline.storage import open_vault
    from netsafe.services.matcher import Matcher

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


@app.command("trace")
def trace_command(
    reference: str = typer.Argument(..., help="The report's reference."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Trace a confirmed report's host: addresses, country, network, abuse contact and route."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import tracing

    config = settings().hotline
    with store() as db, handled(COMMAND):
        out = tracing.trace(db, Actor.cli(), reference, settings=config)
    keys = ("ips", "country", "asn", "organisation", "abuse_contact", "route")
    if json_out:
        emit({k: out[k] for k in keys} | {"to": out["to"], "partner": out["partner"], "error": out["error"]})
    else:
        typer.echo(
            f"{out['reference']} route {out['route']} to {_text(out['to'] or 'nobody (analyst list)')}: "
            f"{', '.join(out['ips']) or 'no address'} {out['country'] or '??'} AS{out['asn'] or '?'} "
            f"{_text(out['organisation'] or '')}"
        )
    if out["error"]:
        typer.echo(f"{COMMAND}: trace: {_text(out['error'])}", err=True)


@app.command("notify")
def notify_command(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Send the notices due now (first notices after the delay, repeats every resend_hours), grouped per
    recipient; with notices_need_authorisation they wait for `netsafe hotline authorise`. Exit 1 when a
    notice could not be sent."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import notify

    config = settings().hotline
    with store() as db, handled(COMMAND):
        out = notify.notify(db, Actor.cli(), settings=config)
    if json_out:
        emit(out["sent"])
    else:
        for n in out["sent"]:
            typer.echo(f"{n['reference']} {n['kind']} notice {n['attempt']} to {_text(n['to'])}")
    for n in out["awaiting"]:
        typer.echo(f"{COMMAND}: {n['reference']}: notice to {_text(n['to'])} awaits authorisation", err=True)
    for n in out["unrouted"]:
        typer.echo(f"{COMMAND}: {n['reference']}: nobody to notify (analyst list)", err=True)
    for n in out["failed"]:
        typer.echo(f"{COMMAND}: error: {n['reference']}: {_text(n['error'])}", err=True)
    if out["failed"]:
        raise typer.Exit(EXIT_FAILURES)


@app.command("notices")
def notices_command(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Notices awaiting authorisation, one per email."""
    from netsafe.hotline import notify

    with store() as db, handled(COMMAND):
        out = notify.awaiting(db)
    if json_out:
        emit(out)
        return
    for b in out:
        refs = ", ".join(r["reference"] for r in b["reports"])
        typer.echo(f"{b['batch']}  {b['kind']} to {_text(b['to'])}: {refs}")


@app.command("authorise")
def authorise_command(
    batch: str = typer.Argument(..., help="The notice (batch id from `netsafe hotline notices`)."),
    user: str = typer.Option(..., "--user", help="Who authorises it."),
    refuse: bool = typer.Option(False, "--refuse", help="Refuse it instead of sending it."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Approve (send now) or refuse a notice awaiting authorisation."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import notify

    config = settings().hotline
    with store() as db, handled(COMMAND):
        out = notify.authorise(db, Actor.cli(), user, batch, approve=not refuse, settings=config)
    if json_out:
        emit(out["sent"] + out["failed"])
    for n in out["failed"]:
        typer.echo(f"{COMMAND}: error: {n['reference']}: {_text(n['error'])}", err=True)
    if out["failed"]:
        raise typer.Exit(EXIT_FAILURES)


@app.command("monitor")
def monitor_command(
    once: bool = typer.Option(False, "--once", help="Check what is due once and exit (for cron)."),
    every: bool = typer.Option(False, "--all", help="Check every notified report, due or not."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Re-fetch notified URLs: removed (with the time since the first notice) or still there; a removed
    URL that comes back is reopened. Also deletes captured bytes past retention_days and brings the
    deterrence list `hotline` up to date with the live confirmed URLs."""
    from netsafe.audit.service import Actor
    from netsafe.deterrence import lists
    from netsafe.hotline import monitor
    from netsafe.hotline.storage import open_vault

    config = settings().hotline
    with store() as db, handled(COMMAND):
        while True:
            out = monitor.monitor(db, Actor.cli(), settings=config, every=every)
            monitor.purge_expired(db, Actor.cli(), settings=config, vault=lambda: open_vault(config, db))
            lists.sync_hotline(db, Actor.cli())  # the deterrence URL list follows, as in `netsafe serve`
            if json_out:
                emit([{k: r[k] for k in ("reference", "status", "removed_after_seconds")} for r in out])
            else:
                for r in out:
                    after = r["removed_after_seconds"]
                    took = f" after {after:.0f} s" if after is not None else ""
                    typer.echo(f"{r['reference']} {r['status']}{took} ({r['reason']})")
            if once:
                return
            time.sleep(config.monitor_interval_minutes * 60)


@app.command("purge")
def purge_command(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Delete captured bytes older than retention_days (their hashes stay)."""
    from netsafe.audit.service import Actor
    from netsafe.hotline import monitor
    from netsafe.hotline.storage import open_vault

    config = settings().hotline
    with store() as db, handled(COMMAND):
        n = monitor.purge_expired(db, Actor.cli(), settings=config, vault=open_vault(config, db))
    if json_out:
        emit({"purged": n})
    else:
        typer.echo(f"{n} captured item(s) deleted")


@app.command("urllist")
def urllist_command(
    fmt: str = typer.Option("txt", "--format", help="txt, csv or json."),
) -> None:
    """The live confirmed URLs, for blocking."""
    from netsafe.hotline import urllist

    with store() as db, handled(COMMAND):
        text = urllist.render(urllist.live_urls(db), fmt)
    sys.stdout.write(text)


@app.command("stats")
def stats_command(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Reports received, assessed, confirmed; by category, age band, country, route; time to removal."""
    from netsafe.hotline import stats

    with store() as db, handled(COMMAND):
        out = stats.stats(db)
    if json_out:
        emit(out)
        return
    for key in ("received", "assessed", "confirmed", "removed"):
        typer.echo(f"{key:>12}: {out[key]}")
    for key in ("by_category", "by_age_band", "by_country", "by_route"):
        shown = ", ".join(f"{k} {v}" for k, v in out[key].items()) or "-"
        typer.echo(f"{key:>12}: {shown}")
    t = out["time_to_removal_seconds"]
    typer.echo(f"{'removal':>12}: median {t['median']} s, p90 {t['p90']} s")


__all__ = ["EXIT_FAILURES", "app", "settings"]
