"""Fixtures for Remove my image: a SQLite store of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.store.db import Database, open_database


@pytest.fixture
def sdb(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'remove.db'}")
    yield database
    database.dispose()
