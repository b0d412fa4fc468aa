"""Fixtures for Remove my image: a SQLite store of its own (``sdb``) or one on each backend (``db``), and
the web tests' services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.store.db import Database, open_database
from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store
from web.conftest import shared_service, sqlite_db

__all__ = ["database_url", "db", "postgres_server", "postgres_store", "shared_service", "sqlite_db"]


@pytest.fixture
def sdb(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'remove.db'}")
    yield database
    database.dispose()
