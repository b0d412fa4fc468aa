"""Fixtures for the deterrence tests: a store on each backend."""

from __future__ import annotations

from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store

__all__ = ["database_url", "db", "postgres_server", "postgres_store"]
