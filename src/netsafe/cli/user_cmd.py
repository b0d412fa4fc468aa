"""``netsafe user``: people who may use the service."""

from __future__ import annotations

import json

import typer

from netsafe.accounts.passwords import PasswordPolicyError
from netsafe.accounts.roles import ROLE_HELP, Role, RoleError
from netsafe.cli.common import open_store, read_password
from netsafe.cli.errors import exit_code, fail

app = typer.Typer(
    help="Manage users of the service (roles: admin, curator, analyst, auditor).", no_args_is_help=True
)

ROLES_TEXT = "; ".join(f"{r.value}: {ROLE_HELP[r]}" for r in Role)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="User name (letters, digits, . _ @ -)."),
    role: str = typer.Option(..., "--role", help=ROLES_TEXT),
) -> None:
    """Add a user. The password is asked for twice, or read from the first line of stdin."""
    from netsafe.audit.service import Actor
    from netsafe.services.accounts import AccountError, add_user

    password = read_password()
    db = open_store()
    try:
        with db.session() as session:
            add_user(session, Actor.cli(), name, role, password)
    except (AccountError, RoleError, PasswordPolicyError) as err:
        fail(str(err), exit_code(err), "netsafe user")
    finally:
        db.dispose()
    typer.echo(f"user {name} added with role {role}")


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="JSON Lines.")) -> None:
    """List users."""
    from netsafe.services.accounts import list_users

    db = open_store()
    try:
        with db.sessions() as session:
            users = list_users(session)
    finally:
        db.dispose()
    for u in users:
        if json_out:
            typer.echo(
                json.dumps(
                    {
                        "name": u.name,
                        "role": u.role,
                        "disabled": u.disabled,
                        "created": u.created.isoformat(),
                        "last_login": u.last_login.isoformat() if u.last_login else None,
                    }
                )
            )
        else:
            typer.echo(f"{u.name}\t{u.role}\t{'disabled' if u.disabled else 'active'}")


def _change(action: str, name: str, value: str | None = None) -> None:
    from netsafe.audit.service import Actor
    from netsafe.services.accounts import AccountError, set_disabled, set_password, set_role

    db = open_store()
    try:
        with db.session() as session:
            if action == "role":
                set_role(session, Actor.cli(), name, value or "")
            elif action == "password":
                set_password(session, Actor.cli(), name, value or "")
            else:
                set_disabled(session, Actor.cli(), name, action == "disable")
    except (AccountError, RoleError, PasswordPolicyError) as err:
        fail(str(err), exit_code(err), "netsafe user")
    finally:
        db.dispose()


@app.command("role")
def role(name: str, role: str = typer.Argument(..., help=ROLES_TEXT)) -> None:
    """Change a user's role."""
    _change("role", name, role)
    typer.echo(f"user {name} is now {role}")


@app.command("password")
def password(name: str) -> None:
    """Set a new password (signs the user out everywhere)."""
    _change("password", name, read_password())
    typer.echo(f"password of {name} changed")


@app.command("disable")
def disable(name: str) -> None:
    """Disable a user: no sign-in, no tokens, sessions ended."""
    _change("disable", name)
    typer.echo(f"user {name} disabled")


@app.command("enable")
def enable(name: str) -> None:
    """Enable a disabled user."""
    _change("enable", name)
    typer.echo(f"user {name} enabled")
