"""``netsafe token``: API tokens for machine clients."""

from __future__ import annotations

import json
from datetime import timedelta

import typer

from netsafe.accounts.roles import Permission, RoleError, parse_scopes
from netsafe.cli.common import open_store
from netsafe.cli.errors import exit_code, fail

app = typer.Typer(help="Manage API tokens (shown once, stored hashed, revocable).", no_args_is_help=True)

SCOPES_TEXT = ", ".join(p.value for p in Permission)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="A name to recognise the token by."),
    scope: list[str] = typer.Option(..., "--scope", help=f"Repeat or comma-separate: {SCOPES_TEXT}."),
    user: str | None = typer.Option(
        None, "--user", help="Act on behalf of this user (limits to their role)."
    ),
    expires_days: float | None = typer.Option(None, "--expires-days", min=0.001, help="Expire after N days."),
) -> None:
    """Create a token. The token is printed once, as the last line of stdout: store it now."""
    from netsafe.audit.service import Actor
    from netsafe.services.accounts import AccountError, create_token

    db = open_store()
    try:
        scopes = parse_scopes(scope)
        with db.session() as session:
            secret, row = create_token(
                session,
                Actor.cli(),
                name,
                scopes,
                user,
                None if expires_days is None else timedelta(days=expires_days),
            )
            expires = row.expires.isoformat() if row.expires else "never"
    except (AccountError, RoleError) as err:
        fail(str(err), exit_code(err), "netsafe token")
    finally:
        db.dispose()
    typer.echo(f"token {name} created: scopes {row.scopes}; expires {expires}. Shown once, below:")
    typer.echo(secret)


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Include revoked tokens."),
    json_out: bool = typer.Option(False, "--json", help="JSON Lines."),
) -> None:
    """List tokens (never their secrets)."""
    from netsafe.services.accounts import list_tokens

    db = open_store()
    try:
        with db.sessions() as session:
            rows = list_tokens(session, include_revoked=all_)
    finally:
        db.dispose()
    for t, owner in rows:
        out = {
            "name": t.name,
            "id": t.public_id,
            "scopes": t.scopes.split(","),
            "user": owner,
            "created": t.created.isoformat(),
            "expires": t.expires.isoformat() if t.expires else None,
            "revoked": t.revoked.isoformat() if t.revoked else None,
        }
        if json_out:
            typer.echo(json.dumps(out))
        else:
            state = "revoked" if t.revoked else "active"
            typer.echo(f"{t.name}\t{t.public_id}\t{t.scopes}\t{owner or '-'}\t{state}")


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="Token name or id.")) -> None:
    """Revoke a token: refused by every worker within a second."""
    from netsafe.audit.service import Actor
    from netsafe.services.accounts import AccountError, revoke_token

    db = open_store()
    try:
        with db.session() as session:
            row = revoke_token(session, Actor.cli(), name)
            label = f"{row.name} ({row.public_id})"
    except AccountError as err:
        fail(str(err), exit_code(err), "netsafe token")
    finally:
        db.dispose()
    typer.echo(f"token {label} revoked")
