"""Fixtures for the hotline's tests: a store on each backend (``db``) or SQLite alone (``sdb``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.hotline.settings import HotlineSettings
from netsafe.store.db import Database, open_database
from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store

from .site import LocalSite, serve

__all__ = ["database_url", "db", "postgres_server", "postgres_store"]


@pytest.fixture
def sdb(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'hotline.db'}")
    yield database
    database.dispose()


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    with serve() as site:
        yield site


@pytest.fixture
def hotline_settings(tmp_path: Path) -> HotlineSettings:
    return HotlineSettings(
        fetch_allow_networks=["127.0.0.0/8"],
        fetch_timeout_seconds=5,
        capture_dir=tmp_path / "captures",
        key_file=tmp_path / "vault.key",
    )
