"""Opening stores: the engine set-up per backend."""

from __future__ import annotations

from sqlalchemy import text

from netsafe.store.db import open_database


def test_an_in_memory_sqlite_store_opens() -> None:
    db = open_database("sqlite://")
    with db.session() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    db.dispose()
