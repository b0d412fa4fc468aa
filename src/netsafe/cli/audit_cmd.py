"""``netsafe audit``: check and export the hash-chained audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from netsafe.cli.common import open_store
from netsafe.cli.errors import EXIT_FAILURES, EXIT_USAGE, fail

app = typer.Typer(help="Check and export the tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify_cmd(
    anchors: list[str] = typer.Option(
        [],
        "--anchor",
        metavar="SEQ:HASH",
        help="An event kept elsewhere (printed by `netsafe audit anchor`): fail if it is gone or changed.",
    ),
) -> None:
    """Re-check every event's hash and link. Exit 0 when intact, 1 naming the first broken event."""
    from netsafe.audit.service import Anchor, AnchorError
    from netsafe.services import auditlog

    try:
        kept = tuple(Anchor.parse(text) for text in anchors)
    except AnchorError as err:
        fail(str(err), EXIT_USAGE, "netsafe audit")
    db = open_store()
    try:
        checked = auditlog.check(db, kept)
    finally:
        db.dispose()
    for note in checked.notes():
        typer.echo(note, err=True)
    if checked.result.ok:
        typer.echo(checked.verdict())
        return
    typer.echo(checked.verdict(), err=True)
    raise typer.Exit(1)


@app.command("anchor")
def anchor_cmd() -> None:
    """Print the newest event as SEQ:HASH, to keep outside the store (a ticket, a signed email).

    `netsafe audit verify --anchor SEQ:HASH` later fails if that event was cut off or changed, which the
    chain alone cannot show when the end of the log is removed and its head rewritten to match."""
    from netsafe.audit.service import anchor

    db = open_store()
    try:
        with db.sessions() as session:
            head = anchor(session)
    except ValueError as err:
        fail(str(err), EXIT_FAILURES, "netsafe audit")
    finally:
        db.dispose()
    typer.echo(str(head))


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
    """Events as JSON Lines on stdout, oldest first (details_json is the exact hashed text)."""
    from netsafe.audit.service import Actor, AuditFilter
    from netsafe.services import auditlog

    flt = AuditFilter(actor=actor, action=action, since=_when(since, "since"), until=_when(until, "until"))
    db = open_store()
    try:
        for line in auditlog.export_events(db, Actor.cli(), flt):
            typer.echo(line)
    finally:
        db.dispose()
