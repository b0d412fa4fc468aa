"""The store: hash sets, entries and votes in SQLite (default) or PostgreSQL, via SQLAlchemy and Alembic."""

from netsafe.store.db import Database, StoreError, database_url, open_database

__all__ = ["Database", "StoreError", "database_url", "open_database"]
