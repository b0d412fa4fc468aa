"""Repositories on SQLite and on a real PostgreSQL server (the ``db`` fixture runs each test on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from netsafe.hashsets.model import Entry, Vote
from netsafe.hashsets.profiles import ProfileError
from netsafe.signals.vpdq import VpdqFrame
from netsafe.store import partitions
from netsafe.store import repositories as repo
from netsafe.store.base import Base
from netsafe.store.db import Database, StoreError, database_url
from netsafe.store.migrate import current_revision, downgrade, head_revision, upgrade
from netsafe.store.tables import import_all_tables

PDQ = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
PHOTODNA_HEX = "ab" * 144


def full_entry() -> Entry:
    return Entry(
        signals={
            "md5": "0" * 31 + "1",
            "sha1": "a" * 40,
            "sha256": "b" * 64,
            "pdq": PDQ,
            "photodna": PHOTODNA_HEX,
        },
        vpdq=[VpdqFrame(frame=0, timestamp=0.0, quality=90, pdq=PDQ)],
        alternative_hashes={"SHA512": "c" * 128},
        source_id="media-1",
        category="A",
        series="s1",
        victim_identified=True,
        offender_identified=False,
        distributed=None,
        tags=["t1", "t2"],
        comments="benign test record",
        media_size=1234,
        mime_type="image/jpeg",
        media_files=[{"FileName": "x.jpg", "FilePath": "/a/"}],
        first_seen=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        last_seen=datetime(2024, 2, 2, 3, 4, 5, tzinfo=UTC),
        origin_file="list.json",
        origin_record=1,
        extra={"IsPrecategorized": True},
    )


def test_schema_matches_models(db: Database) -> None:
    assert current_revision(db) == head_revision()
    import_all_tables()
    with db.session() as s:
        repo.create_set(s, "has-a-partition", "uk-caid")
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": partitions.include_object})
        diff = compare_metadata(context, Base.metadata)
    if db.backend == "postgresql":
        # entries partitioned by set (migration 0015): its key digest's unique key holds the partition
        # column, and the partition stands for the foreign keys from entries and to it.
        found = sorted(
            (d[0], d[1].table.name, tuple(c.name for c in d[1].columns), getattr(d[1], "ondelete", None))
            for d in diff
        )
        assert found == [
            ("add_constraint", "entries", ("key_digest",), None),
            ("add_fk", "entries", ("hash_set_id",), "CASCADE"),
            ("add_fk", "votes", ("entry_id",), "CASCADE"),
            ("remove_constraint", "entries", ("key_digest", "hash_set_id"), None),
        ]
    else:
        assert diff == []


def test_migrations_downgrade_and_upgrade(db: Database) -> None:
    downgrade(db, "base")
    assert current_revision(db) is None
    upgrade(db)
    assert current_revision(db) == head_revision()


def test_sqlite_is_wal(tmp_path: object) -> None:
    db = Database(database_url(f"sqlite:///{tmp_path}/x.db"))
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()


def test_entry_round_trips_every_field(db: Database) -> None:
    entry = full_entry()
    with db.session() as s:
        hs = repo.create_set(s, "caid", "uk-caid", description="d", source="src")
        version = repo.next_version(s, hs)
        result = repo.upsert_entries(s, hs.id, version, [entry])
        assert (result.added, result.updated, result.duplicates) == (1, 0, [])
    with db.session() as s:
        hs = repo.get_set(s, "caid")
        [(entry_id, back)] = list(repo.iter_entries(s, hs.id))
    assert back == entry
    with db.session() as s:
        name, again = repo.get_entry(s, entry_id)
    assert name == "caid" and again == entry


def test_versions_grow_and_keys_update(db: Database) -> None:
    with db.session() as s:
        hs = repo.create_set(s, "bank", "vic-us")
        v1 = repo.next_version(s, hs)
        repo.upsert_entries(s, hs.id, v1, [Entry(signals={"md5": "1" * 32}, category="1")])
    with db.session() as s:
        hs = repo.get_set(s, "bank")
        v2 = repo.next_version(s, hs)
        result = repo.upsert_entries(
            s, hs.id, v2, [Entry(signals={"md5": "1" * 32}, category="2"), Entry(signals={"md5": "2" * 32})]
        )
        assert (v1, v2, result.added, result.updated) == (1, 2, 1, 1)
    with db.session() as s:
        info = repo.set_info_by_name(s, "bank")
        hs = repo.get_set(s, "bank")
        cats = {e.signals["md5"]: e.category for _, e in repo.iter_entries(s, hs.id)}
        changed = [e.signals["md5"] for _, e in repo.iter_entries(s, hs.id, since_version=1)]
    assert (info.version, info.entry_count, info.profile) == (2, 2, "vic-us")
    assert cats == {"1" * 32: "2", "2" * 32: None}
    assert sorted(changed) == ["1" * 32, "2" * 32]


def test_duplicates_within_one_import_are_reported(db: Database) -> None:
    with db.session() as s:
        hs = repo.create_set(s, "dups", "uk-caid")
        v = repo.next_version(s, hs)
        first = repo.upsert_entries(s, hs.id, v, [Entry(signals={"sha1": "a" * 40}, origin_record=1)])
        # Same key in a later batch of the same import, and twice within one batch.
        second = repo.upsert_entries(
            s,
            hs.id,
            v,
            [
                Entry(signals={"sha1": "A" * 40}, origin_record=7),
                Entry(signals={"md5": "3" * 32}, origin_record=8),
                Entry(signals={"md5": "3" * 32}, origin_record=9),
            ],
        )
    assert first.duplicates == []
    assert second.duplicates is not None
    assert [(d.entry.origin_record, d.first_record) for d in second.duplicates] == [(9, 8), (7, 1)]
    assert second.added == 1


def test_list_show_delete(db: Database) -> None:
    with db.session() as s:
        a = repo.create_set(s, "a", "uk-caid")
        repo.create_set(s, "b", "vic-us")
        v = repo.next_version(s, a)
        repo.upsert_entries(s, a.id, v, [Entry(signals={"md5": f"{i:032x}"}) for i in range(1200)])
    with db.session() as s:
        infos = repo.set_infos(s)
    assert [(i.name, i.entry_count, i.version) for i in infos] == [("a", 1200, 1), ("b", 0, 0)]
    with db.session() as s:
        entry_id = next(repo.iter_entries(s, repo.get_set(s, "a").id))[0]
        repo.add_vote(s, entry_id, Vote("g1", "A", datetime.now(UTC)))
    with db.session() as s:
        assert repo.delete_set(s, "a").entry_count == 1200
    with db.session() as s:
        assert [i.name for i in repo.set_infos(s)] == ["b"]
        with pytest.raises(repo.NotFoundError, match="no hash set named 'a'"):
            repo.get_set(s, "a")
        assert repo.votes_for(s, entry_id) == []
        assert s.execute(text("SELECT count(*) FROM entries")).scalar() == 0


def test_create_rejects_duplicates_bad_names_and_profiles(db: Database) -> None:
    with db.session() as s:
        repo.create_set(s, "x", "uk-caid")
        with pytest.raises(repo.AlreadyExistsError):
            repo.create_set(s, "x", "uk-caid")
        with pytest.raises(StoreError):
            repo.create_set(s, "bad\nname", "uk-caid")
        with pytest.raises(ProfileError):
            repo.create_set(s, "y", "no-such-profile")


def test_votes_and_consensus(db: Database) -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    with db.session() as s:
        hs = repo.create_set(s, "graded", "uk-caid")
        v = repo.next_version(s, hs)
        repo.upsert_entries(s, hs.id, v, [Entry(signals={"md5": "1" * 32}), Entry(signals={"md5": "2" * 32})])
        (e1, _), (e2, _) = repo.iter_entries(s, hs.id)
        for i, grader in enumerate(("g1", "g2", "g3")):
            repo.add_vote(s, e1, Vote(grader, "B", t0 + timedelta(minutes=i)))
        repo.add_vote(s, e2, Vote("g1", "A", t0))
        repo.add_vote(s, e2, Vote("g2", "A", t0))
        repo.add_vote(s, e2, Vote("g3", "C", t0))
        with pytest.raises(ProfileError):
            repo.add_vote(s, e2, Vote("g4", "4", t0))  # a vic-us code on a uk-caid set
    with db.session() as s:
        votes = repo.votes_for(s, e1)
        assert [v.grader for v in votes] == ["g1", "g2", "g3"] and votes[0].at == t0
        trusted = repo.consensus_for(s, e1)
        assert trusted.trusted and trusted.category == "B"
        untrusted = repo.consensus_for(s, e2)
        assert not untrusted.trusted and untrusted.category == "A"
        listed = repo.disagreements(s, hs.id)
    assert [(entry_id, [v.grader for v in r.disagreements]) for entry_id, r in listed] == [(e2, ["g3"])]


def test_find_exact_and_photodna_encodings(db: Database) -> None:
    import base64

    b64 = base64.b64encode(bytes.fromhex(PHOTODNA_HEX)).decode()
    with db.session() as s:
        hs = repo.create_set(s, "pdna", "uk-caid")
        v = repo.next_version(s, hs)
        repo.upsert_entries(s, hs.id, v, [Entry(signals={"photodna": b64, "md5": "f" * 32})])
    with db.session() as s:
        found = repo.find_exact(s, "photodna_key", [PHOTODNA_HEX])
        assert len(found) == 1 and found[0][1] == hs.id
        [(_, back)] = repo.iter_entries(s, hs.id)
        assert back.signals["photodna"] == b64  # kept verbatim
        assert repo.find_exact(s, "md5", ["f" * 32], [hs.id + 1]) == []


def test_bad_urls_are_one_line_errors() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        database_url("mysql://u:secret@h/db")
    with pytest.raises(StoreError) as err:
        database_url("not a url at all")
    assert "secret" not in str(err.value)
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_database_errors_become_one_line_store_errors(db: Database) -> None:
    from netsafe.store.convert import now
    from netsafe.store.models import HashSetRow

    with db.session() as s:
        repo.create_set(s, "taken", "uk-caid")
    with pytest.raises(StoreError) as err, db.session() as s:
        # What a second process creating the same name at the same moment runs into.
        s.add(HashSetRow(name="taken", profile="uk-caid", version=0, created=now(), updated=now()))
    assert "\n" not in str(err.value) and "another process" in str(err.value)
    with db.session() as s:
        assert [i.name for i in repo.set_infos(s)] == ["taken"]
