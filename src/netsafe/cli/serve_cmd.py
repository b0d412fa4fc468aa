"""``netsafe serve``: the API and web pages under uvicorn."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import typer

from netsafe.accounts.passwords import PasswordPolicyError
from netsafe.accounts.roles import Role, RoleError
from netsafe.cli.common import open_store, read_password
from netsafe.cli.errors import EXIT_USAGE, fail


def serve_command(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Port (default 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes (default 1; use PostgreSQL for more)."
    ),
    config: Path | None = typer.Option(None, "--config", help="TOML settings file (see docs/service.md)."),
    setup: bool = typer.Option(
        False, "--setup", help="On an empty store, ask for the first administrator here (terminal only)."
    ),
) -> None:
    """Run the netsafe service: JSON API under /api/v1 and the web pages."""
    from sqlalchemy import func, select

    from netsafe.accounts.models import UserRow
    from netsafe.web import ratelimit, spool
    from netsafe.web.config import ConfigError, load_settings, settings_env

    try:
        settings = load_settings(config)
    except ConfigError as err:
        fail(str(err), EXIT_USAGE, "netsafe serve")
    settings = settings.model_copy(
        update={
            "host": host or settings.host,
            "port": port or settings.port,
            "workers": workers or settings.workers,
        }
    )
    db = open_store(settings.database_url)  # creates or upgrades the schema
    try:
        with db.sessions() as session:
            users = session.execute(select(func.count()).select_from(UserRow)).scalar_one()
        url = db.url.render_as_string(hide_password=False)
        backend, shown = db.backend, db.display_url
    finally:
        db.dispose()
    typer.echo(f"netsafe store: {shown}", err=True)
    stale = spool.remove_stale()
    if stale:
        typer.echo(f"removed {len(stale)} upload folder(s) left by a server that was killed", err=True)
    if users == 0 and setup and sys.stdin.isatty():
        _create_first_admin(settings.database_url)
    elif users == 0:
        typer.echo(
            "No users yet. Create the first administrator (password prompted, or piped on stdin):\n"
            "    netsafe user add NAME --role admin",
            err=True,
        )
    if backend == "sqlite" and settings.workers > 1:
        typer.echo(
            "note: the workers share one SQLite file; use PostgreSQL to serve from several machines.",
            err=True,
        )
    # Worker processes rebuild the same settings from the environment.
    os.environ.update(settings_env(settings.model_copy(update={"database_url": url})))
    import uvicorn

    typer.echo(f"serving on http://{settings.host}:{settings.port}/ (API docs at /api/v1/docs)", err=True)
    # Several workers count each token's requests together, in a file of their own (web/ratelimit.py).
    shared = tempfile.mkdtemp(prefix="netsafe-serve-") if settings.workers > 1 else None
    if shared is not None:
        os.environ[ratelimit.ENV_FILE] = str(Path(shared) / "rate-limit")
    try:
        uvicorn.run(
            "netsafe.web.app:create_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            server_header=False,
            # The app believes forwarded headers from the proxies in forwarded_allow_ips only (web/app.py).
            # uvicorn's own handling would trust 127.0.0.1 (or $FORWARDED_ALLOW_IPS) besides: any local
            # client could then forge the audited address and dodge the per-address sign-in limit.
            proxy_headers=False,
        )
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)


def _create_first_admin(database_url: str | None) -> None:
    """Ask for the first administrator so the service is ready to log in to (``make run``)."""
    from netsafe.audit.service import Actor
    from netsafe.services.accounts import AccountError, add_user

    typer.echo("No users yet: create the first administrator.", err=True)
    while True:
        name = typer.prompt("Administrator name", default="admin")
        password = read_password()
        db = open_store(database_url)
        try:
            with db.session() as session:
                add_user(session, Actor.cli(), name, Role.ADMIN, password)
        except (AccountError, RoleError, PasswordPolicyError) as err:
            typer.echo(f"error: {err}; try again", err=True)
            continue
        finally:
            db.dispose()
        typer.echo(f"administrator {name} created; sign in at the address below.", err=True)
        return
