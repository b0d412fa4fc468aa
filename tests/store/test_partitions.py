"""PostgreSQL's ``entries`` partitioned by set (migration 0015, store/partitions.py): every set has its own
partition with every index of ``entries``, made and dropped with the set; a new set's import loads a bare
partition and attaches it; data survives the migration both ways. SQLite keeps one table."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from netsafe.audit.service import Actor
from netsafe.hashsets.model import Vote
from netsafe.services import hashsets as svc
from netsafe.services.hashset_import import ImportFailedError
from netsafe.store import bulk
from netsafe.store import repositories as repo
from netsafe.store.db import Database
from netsafe.store.migrate import downgrade, upgrade

ACTOR = Actor("test")
CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


@pytest.fixture
def pg(db: Database) -> Database:
    if db.backend != "postgresql":
        pytest.skip("SQLite's entries is one table")
    return db


def vics(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"@odata.context": CONTEXT, "value": records}), encoding="utf-8")
    return path


def record(i: int) -> dict[str, object]:
    return {"MediaID": str(i), "MD5": f"{i:032x}", "SHA1": f"{i:040x}", "Category": 1}


def partitions(db: Database) -> dict[str, int]:
    """Partition name -> how many of its indexes are attached to an index of ``entries``."""
    with db.engine.connect() as conn:
        names = [
            str(r[0])
            for r in conn.execute(
                text("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'entries'::regclass")
            )
        ]
        out = {}
        for name in names:
            own = conn.execute(
                text("SELECT indexrelid FROM pg_index WHERE indrelid = CAST(:t AS regclass)"), {"t": name}
            ).all()
            attached = conn.execute(
                text(
                    "SELECT count(*) FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid "
                    "WHERE x.indrelid = CAST(:t AS regclass)"
                ),
                {"t": name},
            ).scalar_one()
            assert len(own) == attached, f"{name} has an index of its own besides the attached ones"
            out[name] = int(attached)
    return out


def parent_indexes(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM pg_index WHERE indrelid = 'entries'::regclass")
            ).scalar_one()
        )


def tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return {
            str(r[0])
            for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'entries%'"))
        }


def test_each_set_has_its_own_partition_with_every_index(pg: Database, tmp_path: Path) -> None:
    with pg.session() as s:
        made = repo.create_set(s, "empty", "uk-caid").id
    loaded = svc.import_file(pg, ACTOR, vics(tmp_path / "a.json", [record(i) for i in range(1, 50)]), "a")
    assert loaded.added == 49
    with pg.session() as s:
        a = repo.get_set(s, "a").id
    every = parent_indexes(pg)
    assert every == 8  # primary key, key digest, five signals, set and version
    assert partitions(pg) == {f"entries_s{made}": every, f"entries_s{a}": every}
    # An import into either set, new rows and changed ones, lands in its partition.
    again = [record(i) for i in range(40, 60)]
    assert svc.import_file(pg, ACTOR, vics(tmp_path / "b.json", again), "empty").added == 20
    result = svc.import_file(pg, ACTOR, vics(tmp_path / "c.json", again), "a")
    assert (result.added, result.updated) == (10, 10)
    with pg.engine.connect() as conn:
        counts = dict(
            conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM entries GROUP BY 1")).all()
        )
    assert counts == {f"entries_s{made}": 20, f"entries_s{a}": 59}


def test_deleting_a_set_drops_its_partition_only(pg: Database, tmp_path: Path) -> None:
    for name in ("a", "b"):
        svc.import_file(pg, ACTOR, vics(tmp_path / f"{name}.json", [record(i) for i in range(1, 5)]), name)
    with pg.session() as s:
        a, b = repo.get_set(s, "a").id, repo.get_set(s, "b").id
        [first, *_] = repo.entry_ids(s, a)
        repo.add_vote(s, first, Vote(grader="g", category="A", at=datetime(2026, 1, 1, tzinfo=UTC)))
    svc.delete_set(pg, ACTOR, "a")
    assert set(partitions(pg)) == {f"entries_s{b}"}
    with pg.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM votes")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM entries")).scalar_one() == 4


def test_a_failed_new_set_import_leaves_no_table(pg: Database, tmp_path: Path) -> None:
    bad = [record(i) for i in range(1, 30)] + [{"MediaID": "x", "MD5": "not a hash"}]
    with pytest.raises(ImportFailedError):
        svc.import_file(pg, ACTOR, vics(tmp_path / "bad.json", bad), "caid")
    assert tables(pg) == {"entries"}
    assert svc.import_file(pg, ACTOR, vics(tmp_path / "ok.json", bad[:-1]), "caid").added == 29


def test_a_repeated_key_in_a_new_set_is_found_in_its_bare_partition(pg: Database, tmp_path: Path) -> None:
    """The bare partition's unique key fails on the repeat; the duplicate query then finds it there, and
    the attach builds the unique key on what is left."""
    records = [record(i) for i in range(1, 30)] + [record(7)]
    result = svc.import_file(pg, ACTOR, vics(tmp_path / "d.json", records), "caid", skip_invalid=True)
    assert (result.added, result.rejected) == (29, 1)
    assert "duplicate MediaID 7 in this import (first at record 7)" in result.issues[0].message
    assert list(partitions(pg).values()) == [parent_indexes(pg)]


def test_two_new_sets_imported_at_once_both_commit(
    pg: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both imports have loaded their partitions before either attaches: neither waits for the other's
    commit for long, and no deadlock (a foreign key cloned by the attach would lock ``hash_sets``)."""
    both_loaded = threading.Barrier(2, timeout=30)
    merge = bulk.Staging.merge

    def merge_together(self: bulk.Staging, *args: Any) -> tuple[int, int]:
        both_loaded.wait()
        return merge(self, *args)

    monkeypatch.setattr(bulk.Staging, "merge", merge_together)
    done: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str, first: int) -> None:
        try:
            path = vics(tmp_path / f"{name}.json", [record(i) for i in range(first, first + 200)])
            done[name] = svc.import_file(pg, ACTOR, path, name).added
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(n, f)) for n, f in (("a", 1), ("b", 1000))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and done == {"a": 200, "b": 200}
    assert len(partitions(pg)) == 2


def test_the_migration_moves_entries_into_partitions_and_back(pg: Database, tmp_path: Path) -> None:
    for name in ("a", "b"):
        svc.import_file(pg, ACTOR, vics(tmp_path / f"{name}.json", [record(i) for i in range(1, 6)]), name)
    with pg.session() as s:
        entry = repo.entry_ids(s, repo.get_set(s, "b").id)[2]
        repo.add_vote(s, entry, Vote(grader="g", category="A", at=datetime(2026, 1, 1, tzinfo=UTC)))

    def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        with pg.engine.connect() as conn:
            entries = conn.execute(
                text("SELECT id, hash_set_id, key_digest, md5 FROM entries ORDER BY id")
            ).all()
            votes = conn.execute(text("SELECT entry_id, grader FROM votes")).all()
        return [tuple(r) for r in entries], [tuple(r) for r in votes]

    before = snapshot()
    downgrade(pg, "0014")
    assert snapshot() == before and tables(pg) == {"entries"}
    with pg.engine.connect() as conn:
        kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'entries'")).scalar_one()
    assert kind == "r"
    upgrade(pg)
    assert snapshot() == before
    assert sorted(partitions(pg).values()) == [8, 8]
    # The sequence goes on from where it was, and the foreign keys are gone as 0015 says.
    result = svc.import_file(pg, ACTOR, vics(tmp_path / "c.json", [record(9)]), "a")
    assert result.added == 1
    with pg.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT max(id) FROM entries")).scalar_one() == max(e[0] for e in before[0]) + 1
        )


def test_deleting_a_set_read_meanwhile_gives_up_instead_of_stalling_readers(
    pg: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader holding ``entries`` (a long export, say): the delete's lock would queue every new reader
    behind it, so it waits a bounded time, then refuses with nothing deleted; later it goes through."""
    from netsafe.store import partitions as parts
    from netsafe.store.errors import StoreBusyError

    monkeypatch.setattr(parts, "DROP_LOCK_WAIT_MS", 300)
    svc.import_file(pg, ACTOR, vics(tmp_path / "a.json", [record(i) for i in range(1, 5)]), "a")
    with pg.engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM entries")).scalar_one()  # its transaction stays open
        with pytest.raises(StoreBusyError, match="nothing was deleted; try again"):
            svc.delete_set(pg, ACTOR, "a")
        reader.rollback()
    with pg.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM entries")).scalar_one() == 4
    assert svc.delete_set(pg, ACTOR, "a").entry_count == 4
    assert partitions(pg) == {}
