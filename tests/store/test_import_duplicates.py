"""Keys repeated within one import, wherever they fall in its batches, on both stores: the same records
reported as duplicates of the same first record, the same entries stored, and the indexes a big merge
drops built again whatever way the import ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from netsafe.audit.service import Actor
from netsafe.services import hashsets as svc
from netsafe.store.db import Database

from .test_import_service import md5_record, stored, vics_file

ACTOR = Actor("test")


def _duplicates(result: svc.ImportResult) -> list[tuple[int, str]]:
    return [(i.record, i.message) for i in result.issues if "duplicate" in i.message]


def _entries(db: Database, name: str) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT e.source_id, e.md5, e.category, e.origin_record, e.added_version, e.updated_version "
                "FROM entries e JOIN hash_sets s ON s.id = e.hash_set_id WHERE s.name = :n ORDER BY e.id"
            ),
            {"n": name},
        )
        return [tuple(r) for r in found]


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the import's staging runs from now on, whitespace folded, in order."""
    from netsafe.store import bulk

    statements: list[str] = []
    execute = bulk.Staging._execute

    def recorded(self: bulk.Staging, sql: str, params: object = None) -> object:
        statements.append(" ".join(sql.split()))
        return execute(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk.Staging, "_execute", recorded)
    return statements


@pytest.mark.parametrize("chunk", [2, 100_000])
@pytest.mark.parametrize("batch", [1, 3, 5000])
def test_duplicates_in_and_across_batches(
    db: Database, tmp_path: Path, batch: int, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(SQLite copies a new set's stage into it every ``chunk`` rows while the file is read.)"""
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", batch)
    monkeypatch.setattr("netsafe.store.bulk.SQLITE_MERGE_CHUNK_ROWS", chunk)
    # Record 4 repeats 2 (another batch when batch=1 or 3), 5 repeats 4's key within its batch of 3 when
    # batch=3, 8 repeats 2 a third time.
    records = [md5_record(i) for i in range(1, 9)]
    records[3] = md5_record(2, Category=2)
    records[4] = md5_record(2, Category=3)
    records[7] = md5_record(2)
    result = svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "s", skip_invalid=True)
    assert _duplicates(result) == [
        (n, "duplicate MediaID 2 in this import (first at record 2)") for n in (4, 5, 8)
    ]
    assert (result.read, result.added, result.updated, result.rejected) == (8, 5, 0, 3)
    assert [e[0] for e in _entries(db, "s")] == ["1", "2", "3", "6", "7"]  # file order, first of each key
    assert _entries(db, "s")[1][2] == "A"  # record 2's category, not a later duplicate's


@pytest.mark.parametrize("batch", [2, 5000])
def test_duplicates_when_updating_a_set(
    db: Database, tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", batch)
    svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", [md5_record(i) for i in range(1, 5)]), "s")
    # Version 2 updates 2 and 3, adds 9, and gives 3 twice (records 2 and 4) and 9 twice (3 and 5).
    again = [
        md5_record(2, Category=2),
        md5_record(3, Category=2),
        md5_record(9),
        md5_record(3, Category=3),
        md5_record(9, Category=3),
    ]
    result = svc.import_file(db, ACTOR, vics_file(tmp_path / "b.json", again), "s", skip_invalid=True)
    assert _duplicates(result) == [
        (4, "duplicate MediaID 3 in this import (first at record 2)"),
        (5, "duplicate MediaID 9 in this import (first at record 3)"),
    ]
    assert (result.added, result.updated, result.rejected) == (1, 2, 2)
    got = {e[0]: e[2:] for e in _entries(db, "s")}
    assert got == {
        "1": ("A", 1, 1, 1),
        "2": ("B", 1, 1, 2),
        "3": ("B", 2, 1, 2),
        "4": ("A", 4, 1, 1),
        "9": ("A", 3, 2, 2),
    }


def test_a_duplicate_without_skip_fails_and_stores_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", 2)
    svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", [md5_record(1)]), "s")
    before = stored(db)
    records = [md5_record(i) for i in range(2, 9)] + [md5_record(3)]
    with pytest.raises(svc.ImportFailedError, match=r"l\.json:8.*duplicate MediaID 3.*first at record 2"):
        svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "s")
    assert stored(db) == before


def _indexes(db: Database) -> set[str]:
    """The indexes of ``entries`` by name and definition (a partial one's WHERE included)."""
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'"
        else:
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'entries'"
        return {f"{r[0]}: {r[1]}" for r in conn.execute(text(query))}


def test_indexes_dropped_for_a_big_load_come_back(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the rebuild rule met by a small file, the signal indexes are dropped for the merge (SQLite)
    and are all there after it, with a duplicate taken out, and after a failed import."""
    monkeypatch.setattr("netsafe.store.bulk.REBUILD_MIN_ROWS", 10)
    monkeypatch.setattr("netsafe.store.bulk.SQLITE_MERGE_CHUNK_ROWS", 12)
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", 4)
    before = _indexes(db)
    assert {"ix_entries_md5", "ix_entries_sha1", "ix_entries_pdq"} <= {i.split(":")[0] for i in before}
    records = [md5_record(i) for i in range(1, 40)] + [md5_record(5)]
    result = svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", records), "s", skip_invalid=True)
    assert (result.added, result.rejected) == (39, 1)
    assert _indexes(db) == before
    records[-1] = md5_record(41, MD5="xyz")
    with pytest.raises(svc.ImportFailedError):
        svc.import_file(db, ACTOR, vics_file(tmp_path / "b.json", records), "t")
    assert _indexes(db) == before
    with db.engine.connect() as conn:
        plan = (
            " ".join(
                str(r[-1])
                for r in conn.execute(text("EXPLAIN QUERY PLAN SELECT id FROM entries WHERE md5 = 'a'"))
            )
            if db.backend == "sqlite"
            else "USING INDEX"
        )
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan


@pytest.mark.parametrize("chunk", [12, None])
def test_only_the_indexes_of_signals_the_file_carries_are_rebuilt(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int | None
) -> None:
    """SQLite: a signal the first staged rows lack keeps its index through the merge (rebuilding it is a
    scan of the table for nothing); a record further on that has it still lands in it."""
    if db.backend != "sqlite":
        pytest.skip("PostgreSQL's new set builds every index of its partition at the attach")
    monkeypatch.setattr("netsafe.store.bulk.REBUILD_MIN_ROWS", 10)
    monkeypatch.setattr("netsafe.store.bulk.SQLITE_MERGE_CHUNK_ROWS", chunk)
    monkeypatch.setattr("netsafe.store.bulk.SIGNAL_SAMPLE_ROWS", 20)
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", 4)
    statements = _recorded(monkeypatch)
    before = _indexes(db)
    late = f"{7:064x}"
    records = [md5_record(i) for i in range(1, 40)] + [md5_record(40, SHA256=late)]
    assert svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", records), "s").added == 40
    assert sorted(s for s in statements if s.startswith("DROP INDEX")) == ["DROP INDEX ix_entries_md5"]
    assert [s for s in statements if s.startswith("CREATE INDEX ix_entries")] == [
        "CREATE INDEX ix_entries_md5 ON entries (md5) WHERE md5 IS NOT NULL"
    ]
    assert _indexes(db) == before
    with db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT key_value FROM entries INDEXED BY ix_entries_sha256 WHERE sha256 = :h"), {"h": late}
        ).all()
    assert found == [("40",)]


def test_a_new_sets_stage_is_searched_for_repeats_only_when_it_has_one(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the stage's index and grouped query (1.3 s at 1M) are left to the merge's unique key for a
    new set, and run only when the merge meets a repeated key."""
    if db.backend != "sqlite":
        pytest.skip("PostgreSQL's stage is searched before its merge")
    seen = _recorded(monkeypatch)
    clean = [md5_record(i) for i in range(1, 20)]
    svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", clean), "clean")
    assert not [s for s in seen if s.startswith("CREATE INDEX temp.")]
    assert not [s for s in seen if "GROUP BY key_digest" in s]
    seen.clear()
    result = svc.import_file(
        db, ACTOR, vics_file(tmp_path / "b.json", [*clean, md5_record(3)]), "again", skip_invalid=True
    )
    assert (result.added, result.rejected) == (19, 1)
    assert [s for s in seen if s.startswith("CREATE INDEX temp.")]
    assert [s for s in seen if s.startswith("INSERT INTO entries")] and len(
        [s for s in seen if s.startswith("INSERT INTO entries")]
    ) == 2  # the one that met the repeat, and the one after it was taken out


def test_signal_lookups_use_the_partial_indexes(db: Database, tmp_path: Path) -> None:
    """The signal indexes hold only rows with the signal (migration 0014) and still serve lookups by
    value, one and many, on both stores; an import's rebuild makes them partial again."""
    svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", [md5_record(i) for i in range(1, 5)]), "s")
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'"
        else:
            conn.execute(text("SET enable_seqscan = off"))
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'entries'"
        defs = {str(r[0]): str(r[1]) for r in conn.execute(text(query))}
        for column in ("md5", "sha1", "sha256", "pdq", "photodna_key"):
            assert "IS NOT NULL" in defs[f"ix_entries_{column}"].upper().replace("(", "").replace(")", "")
        for where in ("md5 = :a", "md5 IN (:a, :b)"):
            plan = " ".join(
                str(r[-1] if db.backend == "sqlite" else r[0])
                for r in conn.execute(
                    text(
                        f"EXPLAIN {'QUERY PLAN ' if db.backend == 'sqlite' else ''}SELECT id FROM entries "
                        f"WHERE {where}"
                    ),
                    {"a": f"{1:032x}", "b": f"{2:032x}"},
                )
            )
            # PostgreSQL: the set's partition's own index, attached to ix_entries_md5 (migration 0015).
            assert (
                "ix_entries_md5" if db.backend == "sqlite" else "Index Scan using entries_s1_md5_idx"
            ) in plan
        if db.backend == "postgresql":
            attached = conn.execute(
                text(
                    "SELECT p.relname, c.relname, pg_get_indexdef(c.oid) FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                    "WHERE p.relname LIKE 'ix_entries_%'"
                )
            ).all()
            for column in ("md5", "sha1", "sha256", "pdq", "photodna_key"):
                [(child, definition)] = [(r[1], r[2]) for r in attached if r[0] == f"ix_entries_{column}"]
                assert child == f"entries_s1_{column}_idx" and f"WHERE ({column} IS NOT NULL)" in definition
