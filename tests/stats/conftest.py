"""Fixtures for the statistics tests: a store on each backend, people of every role, scans with known
contents (as the cases tests make them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.services.accounts import add_user
from netsafe.store.db import Database
from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store
from netsafe.triage.models import ScanBlobRow, ScanRow

__all__ = ["database_url", "db", "make_scan", "match", "people", "postgres_server", "postgres_store"]


@pytest.fixture
def people(db: Database) -> Database:
    """A user of every role, named after it (``investigator``, ``analyst``...)."""
    with patch("netsafe.services.accounts.hash_password", lambda _: "x"), db.session() as session:
        for role in Role:
            add_user(session, Actor("test"), role.value, role, "unused password")
    return db


def match(category: str, profile: str = "uk-caid") -> dict[str, Any]:
    return {
        "hashset": "bank",
        "entry_id": 1,
        "signal": "md5",
        "distance": 0,
        "category": category,
        "category_label": category,
        "profile": profile,
    }


def make_scan(db: Database, blobs: list[tuple[str, list[dict[str, Any]]]]) -> int:
    """A finished scan whose distinct contents are ``(kind, matches)``; the test stands in for the triage
    pipeline, which has tests of its own."""
    with db.session() as session:
        scan = ScanRow(
            out_dir="/evidence/out",
            sources=[],
            options={},
            hash_sets=[{"name": "bank", "version": 1, "profile": "uk-caid", "entries": 3}],
            examiner=None,
            netsafe_version="test",
            status="finished",
            started=datetime(2026, 11, 1, tzinfo=UTC),
            finished=datetime(2026, 11, 1, 1, tzinfo=UTC),
            next_seq=len(blobs),
        )
        session.add(scan)
        session.flush()
        for n, (kind, matches) in enumerate(blobs):
            session.add(
                ScanBlobRow(
                    scan_id=scan.id,
                    first_seq=n,
                    sha256=f"{n:064x}",
                    size=100 + n,
                    kind=kind,
                    matches=matches,
                )
            )
        return scan.id
