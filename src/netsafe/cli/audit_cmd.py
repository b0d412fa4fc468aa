"""``netsafe audit``: check and export the hash-chained audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from netsafe.audit.service import Actor, AuditFilter, export, record, verify
from netsafe.cli.common import open_store
from netsafe.cli.errors import EXIT_USAGE, fail

app = typer.Typer(help="Check and export the tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify_cmd() -> None:
    """Re-check every event's hash and link. Exit 0 when intact, 1 naming the first broken event."""
    db = open_store()
    try:
        with db.sessions() as session:
            result = verify(session)
    finally:
        db.dispose()
    if result.ok:
        typer.echo(
            f"audit log intact: {result.checked} events, chain head {result.head_seq} {result.head_hash}"
        )
        return
    typer.echo(f"audit log BROKEN: {result.problem}", err=True)
    typer.echo(f"events before {result.broken_seq} verified: {result.checked}", err=True)
    raise typer.Exit(1)


def _when(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--{name}: not a date/time like 2026-11-22 or 2026-11-22T10:00", EXIT_USAGE, "netsafe audit")
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@app.command("export")
def export_cmd(
    actor: str | None = typer.Option(None, "--actor", help="Only this actor, e.g. user:alice."),
    action: str | None = typer.Option(None, "--action", help="Only this action (or prefix, e.g. login)."),
    since: str | None = typer.Option(None, "--since", help="From this UTC time."),
    until: str | None = typer.Option(None, "--until", help="Before this UTC time."),
) -> None:
    """Events as JSON Lines on stdout, oldest first (``details_json`` is the exact hashed text)."""
    flt = AuditFilter(actor=actor, action=action, since=_when(since, "since"), until=_when(until, "until"))
    db = open_store()
    try:
        with db.session() as session:
            record(session, Actor.cli(), "audit.export", None, {"actor": actor, "action": action})
        with db.sessions() as session:
            for line in export(session, flt):
                typer.echo(line)
    finally:
        db.dispose()
