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
