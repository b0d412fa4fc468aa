"""Fixtures for the statistics tests: a store on each backend, people of every role, scans with known
contents: the cases tests' own fixtures, so both count the same scans."""

from __future__ import annotations

from cases.conftest import make_scan, match, people
from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store

__all__ = [
    "database_url",
    "db",
    "make_scan",
    "match",
    "people",
    "postgres_server",
    "postgres_store",
]
