"""A worker's shared matcher keeps every index it has loaded current, however it came to load it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from netsafe.audit.service import Actor
from netsafe.services import hashsets as svc
from netsafe.services.lookup import lookup_options, typed_query
from netsafe.services.matcher import Match
from netsafe.store.db import open_database
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
