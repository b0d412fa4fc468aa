"""An import read in a child process (large files): the same result, the same errors, nothing left over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from netsafe.audit.service import Actor
from netsafe.hashsets.formats import FormatError
from netsafe.services import hashsets as svc
from netsafe.services import import_feed
from netsafe.store.db import Database

from .test_import_service import md5_record, stored, vics_file

ACTOR = Actor("test")


@pytest.fixture
def apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is read in a child process, however small."""
    monkeypatch.setattr("netsafe.services.hashset_import.READ_APART_MIN_BYTES", 0)


def _records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = [
        md5_record(i, SHA1=f"{i:040X}", Tags="a;b", IsDistributed="true", MediaSize=i) for i in range(1, 50)
    ]
    records.append(
        {
            "MediaID": "x",
            "MD5": "b" * 32,
            "Category": 2,
            "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "f" * 64}],
            "MediaFiles": [{"FileName": "é.jpg", "FilePath": "/x/"}],
            "FirstSeen": "2024-01-02T03:04:05Z",
            "Comments": "c",
            "Unknown": {"kept": [1, 2.5, None]},
        }
    )
    return records


def _rows(db: Database, name: str) -> list[tuple[str, ...]]:
    with db.engine.connect() as conn:
        set_id = conn.execute(text("SELECT id FROM hash_sets WHERE name = :n"), {"n": name}).scalar_one()
        found = conn.execute(text("SELECT * FROM entries WHERE hash_set_id = :s ORDER BY id"), {"s": set_id})
        columns = list(found.keys())
        skip = {columns.index(c) for c in ("id", "hash_set_id", "key_digest")}
        return [tuple(str(v) for i, v in enumerate(r) if i not in skip) for r in found]


def test_read_apart_stores_what_reading_here_stores(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vics_file(tmp_path / "l.json", _records())
    seen: list[int] = []
    monkeypatch.setattr("netsafe.services.hashset_import.READ_APART_MIN_BYTES", None)
    here = svc.import_file(db, ACTOR, path, "here")
    monkeypatch.setattr("netsafe.services.hashset_import.READ_APART_MIN_BYTES", 0)
    apart = svc.import_file(db, ACTOR, path, "apart", progress=seen.append)
    assert (apart.read, apart.added, apart.warnings) == (here.read, here.added, here.warnings) == (50, 50, 1)
    assert _rows(db, "apart") == _rows(db, "here")
    # Re-imported into an existing set (its digests are computed with its id, in the parent).
    again = svc.import_file(db, ACTOR, path, "apart")
    assert (again.version, again.added, again.updated) == (2, 0, 50)
    assert seen and seen[-1] == path.stat().st_size


@pytest.mark.usefixtures("apart")
def test_bad_record_read_apart_is_the_same_one_line_error(db: Database, tmp_path: Path) -> None:
    svc.import_file(db, ACTOR, vics_file(tmp_path / "ok.json", [md5_record(100)]), "caid")
    before = stored(db)
    records = [md5_record(i) for i in range(1, 10)]
    records[5]["MD5"] = "0" * 31
    bad = vics_file(tmp_path / "bad.json", records)
    for name in ("caid", "new-set"):
        with pytest.raises(svc.ImportFailedError) as err:
            svc.import_file(db, ACTOR, bad, name)
        message = str(err.value)
        assert "bad.json:6" in message and "MD5" in message and "\n" not in message
    assert stored(db) == before
    broken = tmp_path / "broken.json"
    good = vics_file(tmp_path / "good.json", [md5_record(i) for i in range(1, 10)])
    broken.write_text(good.read_text()[:-40], encoding="utf-8")
    with pytest.raises(svc.ImportFailedError) as err:
        svc.import_file(db, ACTOR, broken, "caid", format="vics")
    assert "malformed JSON" in str(err.value) and "\n" not in str(err.value)
    assert stored(db) == before


def test_an_exception_in_the_child_is_raised_as_itself(tmp_path: Path) -> None:
    path = vics_file(tmp_path / "l.json", [md5_record(1)])
    job = import_feed.Job("no-such-format", str(path), "uk-caid", None, None, False)
    with pytest.raises(FormatError) as err:
        list(import_feed.feed(job, None))
    assert "no-such-format" in str(err.value) and "\n" not in str(err.value)
    assert str(path) not in str(err.value)


def test_a_child_that_dies_is_a_one_line_error_and_nothing_is_stored(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, apart: None
) -> None:
    path = vics_file(tmp_path / "l.json", [md5_record(i) for i in range(1, 20_000)])
    real = import_feed.feed

    def killed(job: import_feed.Job, progress: object) -> object:
        items = real(job, None)
        first = next(items)  # the child is running: end it as the kernel's OOM killer would
        child_pid = _children(os.getpid())[-1]
        os.kill(child_pid, signal.SIGKILL)
        yield first
        yield from items

    monkeypatch.setattr(import_feed, "feed", killed)
    with pytest.raises(import_feed.FeedError) as err:
        svc.import_file(db, ACTOR, path, "caid")
    assert "ended unexpectedly" in str(err.value) and "\n" not in str(err.value)
    assert stored(db) == (0, 0, 0)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
            found += [int(p) for p in f.read().split()]
    return found


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


PARENT = """
import sys, time
from netsafe.services import import_feed
job = import_feed.Job("vics", sys.argv[1], "uk-caid", None, None, False)
items = import_feed.feed(job, None)
next(items)
print("reading", flush=True)
time.sleep(60)  # stops reading: the child fills the pipe and waits
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_child_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    path = vics_file(tmp_path / "l.json", [md5_record(i) for i in range(1, 50_000)])
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(path)], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "reading"
        [child] = _children(parent.pid)
        assert not _gone(child)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 20
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(child)
    finally:
        parent.kill()
        parent.wait()


def test_a_new_sets_digests_are_right_when_its_likely_id_was_taken(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new set's digests are staged with the id it will likely get; if another set took it meanwhile
    (here: a wrong guess), the merge computes them again, and a later import finds every key."""
    path = vics_file(tmp_path / "l.json", [md5_record(i) for i in range(1, 30)])
    monkeypatch.setattr("netsafe.store.bulk.Staging.likely_set_id", lambda self: 999)
    first = svc.import_file(db, ACTOR, path, "guessed-wrong")
    monkeypatch.undo()
    second = svc.import_file(db, ACTOR, path, "guessed-wrong")
    assert (first.added, second.added, second.updated) == (29, 0, 29)
    third = svc.import_file(db, ACTOR, path, "guessed-right")
    again = svc.import_file(db, ACTOR, path, "guessed-right")
    assert (third.added, again.added, again.updated) == (29, 0, 29)


def test_no_stage_is_left_on_a_pooled_connection(db: Database, tmp_path: Path) -> None:
    """After a successful import the stage is gone from every connection the pool hands out (on SQLite the
    import's connection leaves the pool and is closed, which deletes its temporary database)."""
    if db.backend != "sqlite":
        pytest.skip("PostgreSQL's stage is dropped with its transaction")
    svc.import_file(db, ACTOR, vics_file(tmp_path / "l.json", [md5_record(i) for i in range(1, 100)]), "s")
    held = [db.engine.connect() for _ in range(3)]
    try:
        for conn in held:
            assert conn.execute(text("SELECT count(*) FROM temp.sqlite_master")).scalar_one() == 0
            assert conn.execute(text("PRAGMA main.cache_size")).scalar_one() == -2000
    finally:
        for conn in held:
            conn.close()
