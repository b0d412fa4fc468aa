"""Two imports that create the same new set at once: the second gets a clear conflict, not a constraint
traceback, and stores nothing (issue 18, lower list)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsafe.audit.service import Actor
from netsafe.errors import Conflict
from netsafe.services import hashset_import
from netsafe.services import hashsets as svc
from netsafe.store import repositories as repo
from netsafe.store.db import Database, open_database
from netsafe.store.repositories import sets

from .conftest import vics_list

ACTOR = Actor("test")


def test_a_set_created_meanwhile_is_a_clear_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db: Database = open_database(f"sqlite:///{tmp_path / 'race.db'}")
    try:
        first = vics_list(tmp_path / "first.json", 3)
        second = vics_list(tmp_path / "second.json", 2, first=100)
        svc.import_file(db, ACTOR, first, "bank")
        # The second import looked before the first committed: it saw no set and creates one too.
        # Both looks (the import's and create_set's own) miss it; the insert meets the unique name.
        monkeypatch.setattr(hashset_import.repo, "find_set", lambda session, name: None)
        monkeypatch.setattr(sets, "find_set", lambda session, name: None)
        with pytest.raises(Conflict) as caught:
            svc.import_file(db, ACTOR, second, "bank")
        message = str(caught.value)
        assert "created by another import" in message and "run this import again" in message
        assert "UNIQUE" not in message and "\n" not in message
        monkeypatch.undo()
        with db.session() as session:
            assert repo.set_info_by_name(session, "bank").entry_count == 3  # nothing of the second
    finally:
        db.dispose()
