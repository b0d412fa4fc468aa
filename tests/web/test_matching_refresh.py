"""A worker's shared matcher keeps every index it has loaded current, however it came to load it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from netsafe.audit.service import Actor
from netsafe.services import hashsets as svc
from netsafe.services import indexes
from netsafe.services.indexes import SetIndex
from netsafe.services.lookup import lookup_options, typed_query
from netsafe.services.matcher import Match
from netsafe.store.db import Database, open_database
from netsafe.store.models import HashSetRow
from netsafe.web.matching import SharedMatcher

ACTOR = Actor("test")


@pytest.mark.parametrize("first_use", ["changed", "ready"])
def test_an_entry_added_elsewhere_matches_here_within_a_few_refreshes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_use: str
) -> None:
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    here_db, there_db = open_database(url), open_database(url)  # two workers' stores
    md5 = "6" * 32
    try:
        svc.import_file(here_db, ACTOR, _listing(tmp_path / "a.txt", "5" * 32), "s", format="md5sum")
        here = SharedMatcher(here_db, refresh_seconds=0.1)
        # This worker loads the set's index before any match: a change through it, or /ready.
        here.changed() if first_use == "changed" else here.refresh()
        svc.import_file(there_db, ACTOR, _listing(tmp_path / "b.txt", md5), "s", format="md5sum")  # elsewhere
        time.sleep(0.6)  # several refresh periods

        async def ask() -> list[list[Match]]:
            return await here.search_async([typed_query(md5)], lookup_options())

        assert [m.hashset for m in asyncio.run(ask())[0]] == ["s"]
    finally:
        here_db.dispose()
        there_db.dispose()


def _listing(path: Path, md5: str) -> Path:
    path.write_text(f"{md5}  photo.jpg\n")
    return path


def test_served_sets_stay_current_while_a_new_set_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: after a 1M-entry import each worker spent 10-35 s loading the new set's index, holding
    the matcher's lock; the served sets fell behind, and once they counted as stale every request went to
    wait for that lock (0 requests/s). Here the new set's load never ends until the test lets it."""
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    here_db, there_db = open_database(url), open_database(url)
    release = threading.Event()
    loading = threading.Event()
    real_catch_up = indexes.catch_up

    def slow_catch_up(db: Database, index: SetIndex, version: int, *args: float) -> None:
        if _is_new(there_db, index.set_id):
            loading.set()
            release.wait(60)
        real_catch_up(db, index, version, *args)

    try:
        svc.import_file(here_db, ACTOR, _listing(tmp_path / "a.txt", "5" * 32), "bank", format="md5sum")
        here = SharedMatcher(here_db, refresh_seconds=0.05)
        here.refresh()
        monkeypatch.setattr(indexes, "catch_up", slow_catch_up)
        svc.import_file(there_db, ACTOR, _listing(tmp_path / "b.txt", "7" * 32), "new", format="md5sum")
        assert loading.wait(30), "the new set's index never started loading"
        # While it loads, a change to a served set made elsewhere reaches this worker's answers.
        added = "8" * 32
        svc.import_file(there_db, ACTOR, _listing(tmp_path / "c.txt", added), "bank", format="md5sum")

        async def ask(md5: str) -> list[str]:
            found = await asyncio.wait_for(here.search_async([typed_query(md5)], lookup_options()), 30)
            return [m.hashset for m in found[0]]

        deadline = time.monotonic() + 30
        while asyncio.run(ask(added)) != ["bank"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert asyncio.run(ask(added)) == ["bank"], "the served set was not caught up during the load"
        assert not release.is_set()
        assert asyncio.run(ask("7" * 32)) == [], "the new set is not served before its index is loaded"
        release.set()
        deadline = time.monotonic() + 30
        while asyncio.run(ask("7" * 32)) != ["new"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert asyncio.run(ask("7" * 32)) == ["new"], "the new set joins once its index is loaded"
    finally:
        release.set()
        here_db.dispose()
        there_db.dispose()


def _is_new(db: Database, set_id: int) -> bool:
    with db.session() as session:
        return session.get(HashSetRow, set_id).name == "new"  # type: ignore[union-attr]
