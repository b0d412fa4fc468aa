"""The ``netsafe`` command: one Typer sub-command (or group) per package."""

from __future__ import annotations

import typer

import netsafe
from netsafe.cli import (
    audit_cmd,
    case_cmd,
    common,
    demo_cmd,
    deterrence_cmd,
    hash_cmd,
    hashset_cmd,
    hashset_edit_cmd,  # noqa: F401 - registers create/add/remove/rename on hashset_cmd.app
    helptext,
    hotline_cmd,
    match_cmd,
    remove_cmd,
    review_cmd,
    scan_cmd,
    serve_cmd,
    stats_cmd,
    token_cmd,
    user_cmd,
)
from netsafe.cli.errors import handled
from netsafe.cli.usage import NetsafeGroup

helptext.install()
app = typer.Typer(
    name="netsafe",
    cls=NetsafeGroup,
    help="Recognise known abuse imagery by hash, manage hash lists, triage seized media.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("hash")(hash_cmd.hash_command)
app.command("demo")(demo_cmd.demo_command)
app.add_typer(hashset_cmd.app, name="hashset")  # hashset_edit_cmd adds create/add/remove/rename
app.command("match")(match_cmd.match_command)
app.add_typer(scan_cmd.app, name="scan")  # scan SOURCE... runs one; scan report SCAN_ID
app.command("serve")(serve_cmd.serve_command)
app.add_typer(user_cmd.app, name="user")
app.add_typer(token_cmd.app, name="token")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(case_cmd.app, name="case")
app.add_typer(hotline_cmd.app, name="hotline")
app.add_typer(stats_cmd.app, name="stats")
app.add_typer(deterrence_cmd.app, name="deterrence")
app.add_typer(review_cmd.app, name="review")
app.add_typer(remove_cmd.app, name="remove")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netsafe {netsafe.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print version."),
) -> None:
    """netsafe: hashing, hash lists, triage, hotline and service for CSAM/IIOC work."""


def main() -> None:
    common.RUNNING_AS_COMMAND = True
    # A NetsafeError no command caught still ends as its one line and exit code, never a traceback.
    with handled():
        app()
