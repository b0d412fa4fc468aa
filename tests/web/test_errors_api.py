"""Errors through the API: each kind has one status, an unreachable store is 503, and no message names the
database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import OperationalError

from netsafe.store.db import Database

from .helpers import Service


@contextmanager
def _store_down(db: Database) -> Iterator[None]:
    """Every new transaction fails as a database server that went away does."""
    original = db.sessions.begin

    def broken() -> object:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    db.sessions.begin = broken  # type: ignore[method-assign]
    try:
        yield
    finally:
        db.sessions.begin = original  # type: ignore[method-assign]


def test_an_unreachable_store_is_503_not_422(service: Service, tmp_path: Path) -> None:
    db = service.db
    if True:
        client = service.client()
        auth = service.bearer("admin")
        assert client.get("/api/v1/hashsets", headers=auth).status_code == 200
        with _store_down(db):
            listed = client.get("/api/v1/hashsets", headers=auth)
            shown = client.get("/api/v1/hashsets/x", headers=auth)
        for answer in (listed, shown):
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"]
            message = answer.json()["error"]["message"]
            assert "sqlite" not in message.lower() or "database error (sqlite)" in message
            assert str(tmp_path) not in message  # never the database's path or URL
        missing = client.get("/api/v1/hashsets/nope", headers=auth)
        assert missing.status_code == 404
