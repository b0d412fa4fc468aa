"""PostgreSQL merges an import's staged rows into ``entries`` while the file is still read (issue 16 §2):
the same result as one merge at the end, on both stores, with every guarantee of an import kept."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from netsafe.audit.service import Actor
from netsafe.services import hashsets as svc
from netsafe.store import bulk
from netsafe.store.db import Database
from netsafe.store.errors import StoreError

ACTOR = Actor("test")
CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 100 rows staged 50 at a time: a 1,000-record file is merged in about ten chunks."""
    monkeypatch.setattr(bulk, "MERGE_CHUNK_ROWS", 100)
    monkeypatch.setattr(bulk, "SQLITE_MERGE_CHUNK_ROWS", 100)
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", 50)


def vics(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"@odata.context": CONTEXT, "value": records}), encoding="utf-8")
    return path


def record(i: int, category: int = 1) -> dict[str, object]:
    return {"MediaID": str(i), "MD5": f"{i:032x}", "Category": category}


def rows(db: Database, name: str) -> list[tuple[int, str, str | None, int, int]]:
    """(id, MediaID, category, added_version, updated_version) of the set's entries, by id."""
    with db.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT e.id, e.key_value, e.category, e.added_version, e.updated_version FROM entries e "
                "JOIN hash_sets s ON s.id = e.hash_set_id WHERE s.name = :name ORDER BY e.id"
            ),
            {"name": name},
        ).all()
    return [(int(r[0]), str(r[1]), r[2], int(r[3]), int(r[4])) for r in found]


def entry_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())


def test_postgres_merges_before_the_last_record_is_staged(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen from the import's own transaction once staging ends: on PostgreSQL the new set's entries are
    in ``entries`` already (the server merged them while the file was read, the rest with the staging's
    end, and no duplicate query ran); SQLite merges under its write lock only, at the end."""
    seen: list[int] = []
    finish = bulk.Staging.finish_staging
    chunks: list[int] = []
    merge_chunk = bulk.Staging._merge_chunk

    def finish_then_count(self: bulk.Staging, **options: Any) -> None:
        finish(self, **options)
        seen.append(int(self._execute("SELECT count(*) FROM entries").fetchone()[0]))

    def counted_chunk(self: bulk.Staging, upto: int) -> None:
        chunks.append(upto)
        merge_chunk(self, upto)

    monkeypatch.setattr(bulk.Staging, "_merge_chunk", counted_chunk)
    execute = bulk.Staging._execute
    statements: list[str] = []

    def recorded(self: bulk.Staging, sql: str, params: Any = None) -> Any:
        statements.append(" ".join(sql.split())[:40])
        return execute(self, sql, params)

    monkeypatch.setattr(bulk.Staging, "_execute", recorded)

    monkeypatch.setattr(bulk.Staging, "finish_staging", finish_then_count)
    result = svc.import_file(
        db, ACTOR, vics(tmp_path / "l.json", [record(i) for i in range(1, 1001)]), "caid"
    )
    assert (result.added, result.updated) == (1000, 0)
    if db.backend == "postgresql":
        # A new set is loaded into its own bare partition (store/partitions.py), attached by the merge:
        # nothing merged in chunks, and no duplicate query (the partition's unique key saw no repeat).
        assert seen == [0] and chunks == []
        assert not [s for s in statements if "CREATE INDEX" in s or "GROUP BY" in s or "WITH" in s]
        assert [s for s in statements if s.startswith("ALTER TABLE entries ATTACH")]
    else:
        # SQLite copies a new set's stage in its own chunks (every 100 rows here), no stage index either.
        copies = [s for s in statements if s.startswith("INSERT INTO entries")]
        assert seen == [1000] and chunks == [] and len(copies) == 10 + 1  # and an empty one at the end
        assert not [s for s in statements if "CREATE INDEX temp" in s or s.startswith("WITH firsts")]
    ids = rows(db, "caid")
    assert [r[1] for r in ids] == [str(i) for i in range(1, 1001)]  # ids in file order
    assert [r[0] for r in ids] == sorted(r[0] for r in ids)


@pytest.mark.parametrize("again_at", [70, 700])
def test_a_key_repeated_later_keeps_its_first_record(db: Database, tmp_path: Path, again_at: int) -> None:
    """Record 30's key again at record 70 (same chunk) or 700 (a later chunk, after record 30 was merged):
    with --skip-invalid the repeat is rejected and record 30 is what the set holds, ids in file order."""
    records = [record(i) for i in range(1, 1001)]
    records.insert(again_at - 1, record(30, category=2))
    result = svc.import_file(
        db, ACTOR, vics(tmp_path / "l.json", records), "caid", skip_invalid=True, rejects=tmp_path / "r"
    )
    assert (result.added, result.updated, result.rejected) == (1000, 0, 1)
    assert "first at record 30" in result.issues[0].message and result.issues[0].record == again_at
    stored = rows(db, "caid")
    assert [r[1] for r in stored] == [str(i) for i in range(1, 1001)]
    assert {r[2] for r in stored} == {"A"}  # record 30's own grade, not the repeat's


def test_a_repeated_key_without_skip_invalid_stores_nothing(db: Database, tmp_path: Path) -> None:
    """The repeat comes after ten chunks were merged: the import fails and every one is rolled back."""
    svc.import_file(db, ACTOR, vics(tmp_path / "one.json", [record(5000)]), "caid")
    records = [record(i) for i in range(1, 1001)] + [record(3)]
    for name in ("caid", "new"):
        with pytest.raises(svc.ImportFailedError, match="duplicate"):
            svc.import_file(db, ACTOR, vics(tmp_path / "l.json", records), name)
        assert entry_count(db) == 1
    assert [r[1] for r in rows(db, "caid")] == ["5000"]


def test_reimport_merged_while_staging_updates_once_by_the_first_record(db: Database, tmp_path: Path) -> None:
    """An existing set: keys it had are updated in place by their first record in the file, new keys
    added in file order, repeats (of an old key and of a new one, chunks apart) rejected."""
    svc.import_file(db, ACTOR, vics(tmp_path / "a.json", [record(i) for i in range(1, 301)]), "caid")
    before = {r[1]: r[0] for r in rows(db, "caid")}
    records = [record(i, category=2) for i in range(200, 1201)]
    records.insert(700, record(250, category=3))
    records.insert(900, record(900, category=3))
    result = svc.import_file(
        db, ACTOR, vics(tmp_path / "b.json", records), "caid", skip_invalid=True, rejects=tmp_path / "r"
    )
    assert (result.added, result.updated, result.rejected, result.version) == (900, 101, 2, 2)
    after = rows(db, "caid")
    assert len(after) == 1200
    by_key = {r[1]: r for r in after}
    assert all(by_key[k][0] == before[k] for k in before)  # updated in place: ids (and votes) stay
    assert {by_key[str(i)][2] for i in range(200, 1201)} == {"B"}  # never the repeats' grade C
    assert {by_key[str(i)][2:] for i in range(1, 200)} == {("A", 1, 1)}
    assert {by_key[str(i)][3:] for i in range(200, 301)} == {(1, 2)}
    new = [r for r in after if int(r[1]) > 300]
    assert [r[1] for r in new] == [str(i) for i in range(301, 1201)] and {r[3:] for r in new} == {(2, 2)}


def test_a_bad_record_after_merged_chunks_stores_nothing(db: Database, tmp_path: Path) -> None:
    svc.import_file(db, ACTOR, vics(tmp_path / "one.json", [record(5000)]), "caid")
    records = [record(i) for i in range(1, 1001)]
    records[900]["MD5"] = "0" * 31
    for name in ("caid", "new"):
        with pytest.raises(svc.ImportFailedError, match=r"l\.json:901"):
            svc.import_file(db, ACTOR, vics(tmp_path / "l.json", records), name)
        assert entry_count(db) == 1


def test_a_staging_failure_comes_out_as_itself_and_the_store_is_usable(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure on PostgreSQL's staging thread (here the 8th batch) is the import's one-line error;
    nothing is stored, and the next import on the same pool works."""
    copy = bulk.Staging._copy
    calls: list[int] = []

    def failing_copy(self: bulk.Staging, batch: list[tuple[object, ...]]) -> None:
        calls.append(len(batch))
        if len(calls) == 8:
            raise StoreError("database error (postgresql): the disk is full")
        copy(self, batch)

    monkeypatch.setattr(bulk.Staging, "_copy", failing_copy)
    path = vics(tmp_path / "l.json", [record(i) for i in range(1, 1001)])
    with pytest.raises(StoreError, match="the disk is full"):
        svc.import_file(db, ACTOR, path, "caid")
    assert entry_count(db) == 0
    monkeypatch.undo()
    monkeypatch.setattr(bulk, "MERGE_CHUNK_ROWS", 100)
    monkeypatch.setattr(bulk, "SQLITE_MERGE_CHUNK_ROWS", 100)
    assert svc.import_file(db, ACTOR, path, "caid").added == 1000


def test_readers_never_wait_for_a_chunk(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection reads ``entries`` (with a short lock timeout) after each merged chunk, while the
    import's transaction is open: it sees the store as it was, without waiting."""
    svc.import_file(db, ACTOR, vics(tmp_path / "one.json", [record(5000)]), "first")
    reader = create_engine(db.url)
    read: list[int] = []
    merge_chunk = bulk.Staging._merge_chunk

    def merge_then_read(self: bulk.Staging, upto: int) -> None:
        merge_chunk(self, upto)
        with reader.connect() as conn:
            conn.execute(text("SET lock_timeout = '2s'"))
            read.append(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())

    monkeypatch.setattr(bulk.Staging, "_merge_chunk", merge_then_read)
    seen: list[list[int]] = []
    for name in ("big", "first"):  # a new set, then an existing one
        read.clear()
        svc.import_file(db, ACTOR, vics(tmp_path / "l.json", [record(i) for i in range(1, 1001)]), name)
        seen.append(sorted(set(read)) if len(read) >= 9 else read[:])
    reader.dispose()
    # A new set on PostgreSQL is not merged in chunks: it is loaded into its own partition, attached at
    # the end (test_import_service.py reads entries after the attach).
    assert seen == ([[], [1001]] if db.backend == "postgresql" else [[], []])
    assert entry_count(db) == 2001


def test_a_failure_while_chunks_merge_stops_the_thread_and_stores_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import fails in its own process (here the 12th batch) while the staging thread is merging:
    the thread is stopped before the rollback, nothing is stored, and the next import works."""
    add = bulk.Staging.add
    calls: list[int] = []

    def failing_add(self: bulk.Staging, batch: list[tuple[object, ...]]) -> None:
        calls.append(len(batch))
        if len(calls) == 12:
            raise KeyboardInterrupt
        add(self, batch)

    monkeypatch.setattr(bulk.Staging, "add", failing_add)
    path = vics(tmp_path / "l.json", [record(i) for i in range(1, 1001)])
    with pytest.raises(KeyboardInterrupt):
        svc.import_file(db, ACTOR, path, "caid")
    assert not [t for t in threading.enumerate() if t.name == "netsafe-import-stage"]
    assert entry_count(db) == 0
    monkeypatch.setattr(bulk.Staging, "add", add)
    assert svc.import_file(db, ACTOR, path, "caid").added == 1000
    assert entry_count(db) == 1000
