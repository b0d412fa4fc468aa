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
    """A URL of a new, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'netsafe.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    try:
        yield database
    finally:
        database.dispose()
