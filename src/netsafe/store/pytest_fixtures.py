"""pytest fixtures for tests that need a store, on SQLite and on a real PostgreSQL server.

Import them into a test module or conftest (``from netsafe.store.pytest_fixtures import *``-style, by name).
``backend`` is parametrised over both databases; the PostgreSQL server is started once per test process.
Without a server the PostgreSQL cases skip locally but fail in CI (``CI`` set), so CI never passes by
silently testing SQLite alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from netsafe.store.db import Database, open_database
from netsafe.store.testing import PostgresServer, PostgresUnavailableError

BACKENDS = ("sqlite", "postgresql")


def _must_have_postgres() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer().start()
    except PostgresUnavailableError as err:
        if _must_have_postgres():
            pytest.fail(f"PostgreSQL is required in CI: {err}")
        pytest.skip(f"PostgreSQL not available: {err}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store on each backend: a new SQLite file, or the PostgreSQL test database emptied.

    PostgreSQL's database is shared by the tests of one process and truncated before each: creating a
    database per test costs up to a second, truncating a few milliseconds.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'netsafe.db'}"
    url: str = request.getfixturevalue("postgres_store")
    empty_postgres(url)
    return url


@pytest.fixture(scope="session")
def postgres_store(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database("netsafe_test")
    database = open_database(url)
    database.dispose()
    yield url


def empty_postgres(url: str) -> None:
    """Delete every row of every table but Alembic's."""
    database = open_database(url)  # also re-creates the schema if a migration test left it downgraded
    try:
        with database.engine.begin() as conn:
            # The sets' partitions of entries go with their sets (ids start again from 1).
            for (partition,) in conn.execute(
                text("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'entries'::regclass")
            ).all():
                conn.execute(text(f'DROP TABLE "{partition}"'))
            tables = [
                name
                for (name,) in conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables "
                        "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
            ]
            if tables:
                quoted = ", ".join('"' + t + '"' for t in tables)
                conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    finally:
        database.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()
