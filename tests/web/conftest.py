"""Fixtures for the service tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.store.db import Database, open_database
from netsafe.store.pytest_fixtures import database_url, db, postgres_server

from .helpers import Service, make_service

__all__ = ["database_url", "db", "postgres_server"]


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'service.db'}")
    yield database
    database.dispose()


@pytest.fixture
def service(sqlite_db: Database) -> Service:
    return make_service(sqlite_db)


@pytest.fixture(scope="module")
def shared_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One service for a whole module, for tests that only read or are refused."""
    database = open_database(f"sqlite:///{tmp_path_factory.mktemp('shared') / 'service.db'}")
    yield make_service(database)
    database.dispose()
