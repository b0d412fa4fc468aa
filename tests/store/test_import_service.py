"""Import, export and their guarantees, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from netsafe.audit.service import Actor
from netsafe.hashsets import formats
from netsafe.hashsets.model import Entry
from netsafe.services import hashsets as svc
from netsafe.store import repositories as repo
from netsafe.store.db import Database

ACTOR = Actor("test")

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


def vics_file(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"@odata.context": CONTEXT, "value": records}), encoding="utf-8")
    return path


def md5_record(i: int, **extra: object) -> dict[str, object]:
    return {"MediaID": str(i), "MD5": f"{i:032x}", "Category": 1, **extra}


def stored(db: Database) -> tuple[int, int, int]:
    """(hash sets, entries, sum of versions): what must not move when an import fails."""
    with db.engine.connect() as conn:
        sets = conn.execute(text("SELECT count(*), coalesce(sum(version), 0) FROM hash_sets")).one()
        entries = conn.execute(text("SELECT count(*) FROM entries")).scalar_one()
    return int(sets[0]), int(entries), int(sets[1])


def test_import_creates_set_and_versions_grow(db: Database, tmp_path: Path) -> None:
    first = vics_file(tmp_path / "a.json", [md5_record(i) for i in range(1, 6)])
    r1 = svc.import_file(db, ACTOR, first, "caid", source="CAID", description="test list")
    assert (r1.created, r1.version, r1.read, r1.added, r1.updated, r1.rejected) == (True, 1, 5, 5, 0, 0)
    second = vics_file(tmp_path / "b.json", [md5_record(i, Category=2) for i in range(4, 9)])
    r2 = svc.import_file(db, ACTOR, second, "caid")
    assert (r2.created, r2.version, r2.added, r2.updated) == (False, 2, 3, 2)
    [info] = svc.list_sets(db)
    assert (info.name, info.entry_count, info.version, info.profile, info.source) == (
        "caid",
        8,
        2,
        "uk-caid",
        "CAID",
    )
    details = svc.show_set(db, "caid")
    # Every category of the profile in its order, uncategorised last (the one shape of every door).
    assert [(c.category, c.entries) for c in details.categories] == [
        ("A", 3),
        ("B", 5),
        ("C", 0),
        ("NP", 0),
        (None, 0),
    ]
    assert details.signals["md5"] == 8


@pytest.mark.parametrize("batch", [2, 1000])
def test_bad_record_in_the_middle_leaves_store_unchanged(
    db: Database, tmp_path: Path, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # batch=2: earlier batches were already written inside the transaction and must roll back too.
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", batch)
    svc.import_file(db, ACTOR, vics_file(tmp_path / "ok.json", [md5_record(100)]), "caid")
    before = stored(db)
    records = [md5_record(i) for i in range(1, 10)]
    records[5]["MD5"] = "0" * 31  # a 31-character MD5
    bad = vics_file(tmp_path / "bad.json", records)
    with pytest.raises(svc.ImportFailedError) as err:
        svc.import_file(db, ACTOR, bad, "caid")
    assert stored(db) == before
    message = str(err.value)
    assert "bad.json:6" in message and "MD5" in message.upper() and "\n" not in message
    with pytest.raises(svc.ImportFailedError):
        svc.import_file(db, ACTOR, bad, "new-set")
    assert stored(db) == before  # a set created by the failed import is rolled back with it


def test_skip_invalid_imports_good_records_and_writes_rejects(db: Database, tmp_path: Path) -> None:
    records = [md5_record(i) for i in range(1, 8)]
    records[2]["MD5"] = "xyz"
    records[4]["Category"] = 99
    rejects = tmp_path / "rejects.jsonl"
    result = svc.import_file(
        db, ACTOR, vics_file(tmp_path / "l.json", records), "caid", skip_invalid=True, rejects=rejects
    )
    assert (result.committed, result.added, result.rejected) == (True, 5, 2)
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert sorted({line["record"] for line in lines}) == [3, 5]
    assert all(line["file"].endswith("l.json") and line["message"] for line in lines)
    assert stored(db)[1] == 5


def test_duplicates_in_one_file_fail_the_import(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("netsafe.services.hashset_import.IMPORT_BATCH", 3)
    sums = tmp_path / "l.md5"
    sums.write_text("".join(f"{i:032x}  f{i}\n" for i in range(1, 8)) + f"{2:032x}  again\n")
    with pytest.raises(svc.ImportFailedError) as err:
        svc.import_file(db, ACTOR, sums, "bank", format="md5sum")
    assert "l.md5:8" in str(err.value) and "duplicate" in str(err.value) and "record 2" in str(err.value)
    assert stored(db) == (0, 0, 0)


def test_profile_clash_and_missing_file(db: Database, tmp_path: Path) -> None:
    svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", [md5_record(1)]), "caid")
    with pytest.raises(svc.UsageError, match="uses profile uk-caid"):
        svc.import_file(db, ACTOR, tmp_path / "a.json", "caid", profile="vic-us")
    with pytest.raises(svc.UsageError, match="no such file"):
        svc.import_file(db, ACTOR, tmp_path / "missing.json", "caid")


def rich_entries() -> list[Entry]:
    out = []
    for i in range(1, 30):
        out.append(
            Entry(
                signals={"md5": f"{i:032x}", "sha1": f"{i:040x}", "pdq": f"{i * 7919:064x}"},
                source_id=str(i),
                category=("A", "B", "C", None)[i % 4],
                series=f"series {i % 3}",
                victim_identified=bool(i % 2),
                distributed=None if i % 5 else True,
                tags=["t", f"x{i}"] if i % 2 else [],
                comments=f"benign record {i}",
                media_size=1000 + i,
                first_seen=datetime(2024, 1, 1, tzinfo=UTC),
                media_files=[{"FileName": f"file{i}.jpg"}],
            )
        )
    return out


@pytest.mark.parametrize("fmt", ["vics", "csv"])
def test_export_round_trip(db: Database, tmp_path: Path, fmt: str) -> None:
    source = tmp_path / f"in.{fmt}"
    formats.write(fmt, rich_entries(), source, profile="uk-caid")
    svc.import_file(db, ACTOR, source, "orig", format=fmt)
    out = tmp_path / f"out.{fmt}"
    assert svc.export_set(db, ACTOR, "orig", out, fmt) == 29
    svc.import_file(db, ACTOR, out, "again", format=fmt)
    with db.session() as s:
        a = [e for _, e in repo.iter_entries(s, repo.get_set(s, "orig").id)]
        b = [e for _, e in repo.iter_entries(s, repo.get_set(s, "again").id)]
    assert len(a) == 29
    assert all(x.same_content(y) for x, y in zip(a, b, strict=True))
    assert {e.category for e in a} == {"A", "B", "C", None}


def test_export_maps_profiles_and_delete(db: Database, tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    formats.write("vics", rich_entries()[:4], src, profile="uk-caid")
    svc.import_file(db, ACTOR, src, "caid")
    out = tmp_path / "us.json"
    svc.export_set(db, ACTOR, "caid", out, "vics", profile="vic-us")
    assert "/US/" in out.read_text()
    info = svc.delete_set(db, ACTOR, "caid")
    assert info.entry_count == 4 and svc.list_sets(db) == []
    with pytest.raises(repo.NotFoundError):
        svc.export_set(db, ACTOR, "caid", out, "vics")


# --- the bulk path (issue 16 §2) ---------------------------------------------------------------------------


def test_failure_mid_merge_leaves_nothing_and_no_stage(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after rows were staged and merged (the audit append fails) rolls back the set, its
    version and every entry, and leaves no staging table on the pooled connection."""
    svc.import_file(db, ACTOR, vics_file(tmp_path / "ok.json", [md5_record(100)]), "caid")
    before = stored(db)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit append failed")

    monkeypatch.setattr("netsafe.services.hashset_import.record", broken)
    records = [md5_record(i) for i in range(1, 200)]
    for name in ("caid", "new-set"):
        with pytest.raises(RuntimeError):
            svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), name)
        assert stored(db) == before
    monkeypatch.undo()
    result = svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "caid")
    assert (result.added, result.updated, result.version) == (198, 1, 2)  # record 100 was there
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            leftover = "SELECT count(*) FROM sqlite_temp_master WHERE name LIKE 'netsafe_import%'"
        else:
            leftover = "SELECT count(*) FROM pg_class WHERE relname LIKE 'netsafe_import%'"
        assert conn.execute(text(leftover)).scalar_one() == 0


def test_audit_event_is_in_the_import_transaction(db: Database, tmp_path: Path) -> None:
    """The import's event names the version and counts, and exists exactly when the change does."""
    records = [md5_record(i) for i in range(1, 50)]
    result = svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "caid")
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT outcome, details FROM audit_events WHERE action = 'hashset.import'")
        ).all()
    assert len(rows) == 1
    details = rows[0][1] if isinstance(rows[0][1], dict) else json.loads(rows[0][1])
    assert rows[0][0] == "ok"
    assert (details["version"], details["added"], details["created"]) == (result.version, 49, True)


def test_reimport_updates_in_place_and_adds_the_rest(db: Database, tmp_path: Path) -> None:
    first = [md5_record(i) for i in range(1, 101)]
    svc.import_file(db, ACTOR, vics_file(tmp_path / "a.json", first), "caid")
    with db.session() as session:
        row = repo.get_set(session, "caid")
        ids_before = {e.signals["md5"]: i for i, e in repo.iter_entries(session, row.id)}
    second = [md5_record(i, Category=2) for i in range(51, 151)]
    result = svc.import_file(db, ACTOR, vics_file(tmp_path / "b.json", second), "caid")
    assert (result.added, result.updated, result.version) == (50, 50, 2)
    with db.session() as session:
        row = repo.get_set(session, "caid")
        after = list(repo.iter_entries(session, row.id))
    assert len(after) == 150
    grades: dict[bool, set[str | None]] = {True: set(), False: set()}
    for entry_id, entry in after:
        number = int(str(entry.signals["md5"]), 16)
        if number <= 100:
            assert ids_before[entry.signals["md5"]] == entry_id  # replaced in place: votes stay
        grades[number <= 50].add(entry.category)
    assert len(grades[True]) == len(grades[False]) == 1 and grades[True] != grades[False]


def test_bulk_rows_equal_the_orm_rows(db: Database, tmp_path: Path) -> None:
    """Every column the bulk path writes reads back as the per-row ORM path (upsert_entries) writes it."""
    records = [
        md5_record(1, SHA1="a" * 40, Tags="x;y", IsDistributed="true", MediaSize=10),
        {
            "MediaID": "2",
            "MD5": "b" * 32,
            "Category": 2,
            "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "f" * 64}],
            "MediaFiles": [{"FileName": "a.jpg", "FilePath": "/x/"}],
            "Series": "s",
            "Comments": "c",
            "VictimIdentified": False,
        },
    ]
    path = vics_file(tmp_path / "l.json", records)
    svc.import_file(db, ACTOR, path, "bulk")
    entries = [e for e in formats.get("vics").read(path) if isinstance(e, Entry)]
    with db.session() as session:
        row = repo.create_set(session, "orm", repo.get_set(session, "bulk").profile)
        repo.upsert_entries(session, row.id, 1, entries)
    with db.session() as session:
        bulk = [e for _, e in repo.iter_entries(session, repo.get_set(session, "bulk").id)]
        orm = [e for _, e in repo.iter_entries(session, repo.get_set(session, "orm").id)]
    assert bulk == orm
    columns = "key_kind, key_value, md5, sha1, pdq, tags, media_files, first_seen, distributed"
    with db.engine.connect() as conn:
        raw = conn.execute(text(f"SELECT hash_set_id, {columns} FROM entries ORDER BY id")).all()
    by_set: dict[int, list[tuple[object, ...]]] = {}
    for r in raw:
        by_set.setdefault(int(r[0]), []).append(tuple(str(v) for v in r[1:]))
    assert len(by_set) == 2
    first, second = by_set.values()
    assert first == second


def test_sqlite_write_lock_while_the_file_is_read(db: Database, tmp_path: Path) -> None:
    """An update of an existing set stages its file before it takes the store's write lock, so another
    process can still write meanwhile; a new set (a bulk load, merged while its file is read) holds the
    lock from the start. Either way /match keeps answering: the web workers' audit waits in their journal
    (tests/web/test_audit_journal.py)."""
    if db.backend != "sqlite":
        pytest.skip("PostgreSQL has row locks; the import never blocked other writers there")
    import sqlite3

    svc.import_file(db, ACTOR, vics_file(tmp_path / "ok.json", [md5_record(100_000)]), "caid")
    path = db.url.database
    assert path is not None
    outcomes: list[str] = []

    def try_to_write(_done: int) -> None:
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            outcomes.append("free")
        except sqlite3.OperationalError:
            outcomes.append("locked")
        finally:
            other.close()

    records = [md5_record(i) for i in range(1, 1200)]
    svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "caid", progress=try_to_write)
    assert outcomes and set(outcomes) == {"free"}
    outcomes.clear()
    svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "new-set", progress=try_to_write)
    assert outcomes and set(outcomes) == {"locked"}


def test_export_streams_in_bounded_memory(db: Database, tmp_path: Path) -> None:
    """A set exports in every format without being held in memory: the peak of Python allocations
    during an export of 20,000 entries stays under what a fifth of them take as entries, so an export
    that collected the set first (ORM rows, entries or its output) would fail here."""
    import itertools
    import tracemalloc

    total = 20_000
    records = [
        md5_record(i, SHA1=f"{i:040x}", AlternativeHashes=[{"HashName": "PDQ", "HashValue": f"{i:064x}"}])
        for i in range(1, total + 1)
    ]
    source = vics_file(tmp_path / "big.json", records)
    del records
    svc.import_file(db, ACTOR, source, "big")
    svc.import_file(db, ACTOR, vics_file(tmp_path / "small.json", [md5_record(1)]), "small")
    tracemalloc.start()
    try:
        fifth = list(itertools.islice(formats.get("vics").read(source, check_duplicates=False), total // 5))
        bound = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(fifth) == total // 5
    del fifth
    for fmt in ("vics", "csv", "hashdeep", "md5sum", "tx"):
        out = tmp_path / f"out.{fmt}"
        svc.export_set(db, ACTOR, "small", out, fmt)  # warms what is loaded once (statements, codecs)
        tracemalloc.start()
        try:
            assert svc.export_set(db, ACTOR, "big", out, fmt) == total
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < bound, (
            f"{fmt}: export peaked at {peak / 1e6:.1f} MB, a fifth of the set {bound / 1e6:.1f} MB"
        )


def test_a_big_import_never_locks_readers_out_of_the_entries(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18 item 4 on PostgreSQL: a merge that dropped the signal indexes to rebuild them held an
    ACCESS EXCLUSIVE lock on ``entries`` until its commit, and every /match reading an entry waited (p99
    13.8 s during a 1M import). Here a reader with a short lock timeout reads ``entries`` from another
    connection just after the merge's INSERT, while the import's transaction is still open."""
    from sqlalchemy import create_engine

    from netsafe.store import bulk

    svc.import_file(db, ACTOR, vics_file(tmp_path / "one.json", [md5_record(100_000)]), "first")
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 100)  # a rebuild's rule met by a small file
    reader = create_engine(db.url)
    read: list[int] = []
    execute = bulk.Staging._execute

    def execute_then_read(self: bulk.Staging, sql: str, params: object = None) -> object:
        out = execute(self, sql, params)  # type: ignore[arg-type]
        # SQLite inserts into entries; PostgreSQL attaches the new set's loaded partition to it.
        if sql.startswith("INSERT INTO entries") or sql.startswith("ALTER TABLE entries ATTACH"):
            with reader.connect() as conn:
                if db.backend == "postgresql":
                    conn.execute(text("SET lock_timeout = '2s'"))
                read.append(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())
        return out

    monkeypatch.setattr(bulk.Staging, "_execute", execute_then_read)
    records = [md5_record(i) for i in range(1, 1200)]
    svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", records), "big")
    reader.dispose()
    assert read == [1]  # the reader saw the store as it was before the import, without waiting
    assert stored(db)[1] == 1200
