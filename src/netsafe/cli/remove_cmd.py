"""``netsafe remove ...``: Remove my image's requests from the command line (issue 19).

Exit codes: 0 ok, 2 a usage error or an unknown request; errors are one line.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import typer

from netsafe.cli.common import command_store
from netsafe.cli.common import emit_json as emit
from netsafe.cli.errors import handled

if TYPE_CHECKING:
    from netsafe.store.db import Database

COMMAND = "netsafe remove"
LIST_KEYS = ("reference", "status", "items", "created", "upload", "assessment")

app = typer.Typer(
    name="remove",
    help="Remove my image: young people's requests, hashed on their own devices.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def store() -> AbstractContextManager[Database]:
    return command_store(COMMAND)


@app.command("list")
def list_command(
    status: str | None = typer.Option(None, "--status", help="Only requests in this state."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List requests, newest first."""
    from netsafe.remove import service

    with store() as db, handled(COMMAND):
        rows = service.list_requests(db, status)
    if json_out:
        emit([{key: r[key] for key in LIST_KEYS} for r in rows])
        return
    for r in rows:
        shared = "shared" if r["shared"] else "not shared"
        upload = f"upload {r['hotline_report']} {r['assessment']}" if r["upload"] else "hashes only"
        typer.echo(
            f"{r['reference']}  {r['status']:<13} {r['items']:>3} item(s)  {shared:<10} {r['created'][:16]}"
            f"  {upload}"
        )
    typer.echo(f"{len(rows)} request(s)", err=True)


@app.command("verify")
def verify_command(
    reference: str = typer.Argument(..., help="The request's reference (RM-...)."),
    user: str = typer.Option(
        ..., "--user", help="The analyst who checked it (needs the hotline permission)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Mark a request verified; its hashes are shared now if the policy held them back."""
    from netsafe.audit.service import Actor
    from netsafe.remove import service

    with store() as db, handled(COMMAND):
        out = service.verify(db, Actor.cli(), reference, user=user)
    emit(out) if json_out else typer.echo(f"{out['reference']} {out['status']} by {out['verified_by']}")


@app.command("withdraw")
def withdraw_command(
    reference: str = typer.Argument(..., help="The request's reference (RM-...)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Withdraw a request: its hashes leave the set (and the next export), an uploaded picture is deleted."""
    from netsafe.audit.service import Actor
    from netsafe.hotline.storage import open_vault
    from netsafe.remove import service
    from netsafe.web.config import load_settings

    with store() as db, handled(COMMAND):
        out = service.withdraw(
            db, Actor.cli(), reference, vault=lambda: open_vault(load_settings().hotline, db)
        )
    emit(out) if json_out else typer.echo(f"{out['reference']} {out['status']}")
