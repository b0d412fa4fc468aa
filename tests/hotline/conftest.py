"""Fixtures for the hotline's tests: a store on each backend (``db``) or SQLite alone (``sdb``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.store.db import Database, open_database
from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store

__all__ = ["database_url", "db", "postgres_server", "postgres_store"]


@pytest.fixture
def sdb(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'hotline.db'}")
    yield database
    database.dispose()
