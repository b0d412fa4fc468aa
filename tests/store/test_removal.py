"""Removing single entries: a new version, a removal record, and indexes that forget the entry at once (this
process) and on their next refresh (other workers), without a full rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netsafe.audit.service import Actor, export
from netsafe.matching.pdq_index import PDQIndex
from netsafe.services import hashsets as svc
from netsafe.services.matcher import Matcher, Query, index_key
from netsafe.store import repositories as repo
from netsafe.store.db import Database

ACTOR = Actor("test")

rng = np.random.default_rng(11)


def random_pdq() -> str:
    return rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()


def load(db: Database, tmp_path: Path, pdqs: list[str], md5s: list[str]) -> None:
    lines = [f"pdq {p}" for p in pdqs] + [f"md5 {m}" for m in md5s]
    path = tmp_path / "set.txt"
    path.write_text("\n".join(lines) + "\n")
    svc.import_file(db, ACTOR, path, "bank")


def ids_of(matcher: Matcher, signals: dict[str, str]) -> list[int]:
    [found] = matcher.match([Query("q", signals=signals)], max_distance=0)
    return sorted(m.entry_id for m in found)


def version(db: Database) -> int:
    return svc.show_set(db, "bank").info.version


def test_removed_entry_stops_matching_here_and_in_another_worker(db: Database, tmp_path: Path) -> None:
    pdqs = [random_pdq() for _ in range(20)]
    md5 = "ab" * 16
    load(db, tmp_path, pdqs, [md5])
    one, two = Matcher(db, tmp_path / "idx"), Matcher(db, tmp_path / "idx", refresh_seconds=3600)
    [gone] = ids_of(one, {"pdq": pdqs[4]})
    [kept] = ids_of(two, {"pdq": pdqs[5]})
    [md5_id] = ids_of(two, {"md5": md5})
    before = version(db)

    result = svc.remove_entries(db, ACTOR, "bank", [gone])
    assert result.removed == [gone] and result.version == before + 1 == version(db)
    assert ids_of(one, {"pdq": pdqs[4]}) == []
    assert ids_of(one, {"pdq": pdqs[5]}) == [kept]
    # The second worker still serves its cached version until its refresh window passes...
    assert ids_of(two, {"pdq": pdqs[4]}) == [gone]
    two.refresh(force=True)
    assert ids_of(two, {"pdq": pdqs[4]}) == []

    # ...and a removal by hash is seen the same way.
    by_hash = svc.remove_entries(db, ACTOR, "bank", hashes=[f"md5:{md5}"])
    assert by_hash.removed == [md5_id] and by_hash.version == before + 2
    two.refresh(force=True)
    assert ids_of(two, {"md5": md5}) == [] and ids_of(one, {"md5": md5}) == []
    assert svc.show_set(db, "bank").info.entry_count == 19


def test_removal_is_all_or_nothing_with_a_clear_error(db: Database, tmp_path: Path) -> None:
    pdqs = [random_pdq() for _ in range(3)]
    load(db, tmp_path, pdqs, [])
    matcher = Matcher(db, tmp_path / "idx")
    [known] = ids_of(matcher, {"pdq": pdqs[0]})
    before = version(db)
    with pytest.raises(repo.NotFoundError, match=r"no entry with id 999999; nothing removed"):
        svc.remove_entries(db, ACTOR, "bank", [known, 999999])
    with pytest.raises(repo.NotFoundError, match="no entry with hash"):
        svc.remove_entries(db, ACTOR, "bank", hashes=["cd" * 16])
    with pytest.raises(svc.UsageError, match="not a hash netsafe knows"):
        svc.remove_entries(db, ACTOR, "bank", hashes=["xyz"])
    with pytest.raises(repo.NotFoundError, match="no hash set named 'nope'"):
        svc.remove_entries(db, ACTOR, "nope", [known])
    assert version(db) == before
    assert ids_of(matcher, {"pdq": pdqs[0]}) == [known]


def test_removal_is_audited(db: Database, tmp_path: Path) -> None:
    load(db, tmp_path, [random_pdq()], [])
    [entry_id] = [i for i, _ in _entries(db)]
    svc.remove_entries(db, ACTOR, "bank", [entry_id])
    with db.session() as session:
        events = [e for e in map(json.loads, export(session)) if e["action"] == "hashset.remove"]
    assert len(events) == 1
    assert events[0]["target"] == "hashset:bank"
    assert events[0]["details"]["entry_ids"] == [entry_id]


def _entries(db: Database) -> list[tuple[int, object]]:
    with db.session() as session:
        row = repo.get_set(session, "bank")
        return list(repo.iter_entries(session, row.id))


def test_persisted_index_after_removal_equals_a_fresh_rebuild(db: Database, tmp_path: Path) -> None:
    pdqs = [random_pdq() for _ in range(200)]
    md5s = [f"{i:032x}" for i in range(50)]
    load(db, tmp_path, pdqs, md5s)
    matcher = Matcher(db, tmp_path / "idx")
    matcher.match([Query("warm", signals={"pdq": pdqs[0]})])  # persist the index at the import's version
    ids = [i for i, _ in _entries(db)]
    first = ids[::3]
    second = [i for i in ids[1::7] if i not in first]
    svc.remove_entries(db, ACTOR, "bank", first)
    # A later import adds entries again: catch-up covers removals and additions across several versions.
    extra = tmp_path / "more.txt"
    extra.write_text(f"pdq {random_pdq()}\n")
    svc.import_file(db, ACTOR, extra, "bank")
    svc.remove_entries(db, ACTOR, "bank", second)
    matcher.match([Query("warm", signals={"pdq": pdqs[0]})])
    rebuilt = Matcher(db, tmp_path / "fresh")
    rebuilt.match([Query("warm", signals={"pdq": pdqs[0]})])

    key = index_key(db, "bank")
    assert key is not None
    caught = PDQIndex.load(tmp_path / "idx" / key / f"v{version(db)}" / "pdq")
    fresh = PDQIndex.load(tmp_path / "fresh" / key / f"v{version(db)}" / "pdq")
    assert len(caught) == len(fresh)
    for probe in pdqs[:20]:
        (ids_a, dist_a), (ids_b, dist_b) = caught.search(probe, 256), fresh.search(probe, 256)
        order_a, order_b = np.argsort(ids_a), np.argsort(ids_b)
        assert ids_a[order_a].tolist() == ids_b[order_b].tolist()
        assert dist_a[order_a].tolist() == dist_b[order_b].tolist()
    for m in md5s:
        assert ids_of(matcher, {"md5": m}) == ids_of(rebuilt, {"md5": m})
    with_pdq = {i for i, entry in _entries(db) if "pdq" in entry.signals}
    assert set(caught.search(pdqs[0], 256)[0].tolist()) == with_pdq
    # SQLite may give the later import's entry a removed entry's id: only ids still stored may match.
    assert set(first + second) - with_pdq


def test_removed_video_leaves_the_frame_index(db: Database, tmp_path: Path) -> None:
    from netsafe.hashsets.model import Entry
    from netsafe.signals.vpdq import VpdqFrame

    frames = [VpdqFrame(i, i / 5, 100, random_pdq()) for i in range(10)]
    with db.session() as session:
        row = repo.create_set(session, "bank", "uk-caid")
        v = repo.next_version(session, row)
        repo.upsert_entries(session, row.id, v, [Entry(vpdq=frames), Entry(vpdq=frames[:5])])
    matcher = Matcher(db, tmp_path / "idx")
    [found] = matcher.match([Query("video", vpdq=frames)])
    assert [m.signal for m in found] == ["vpdq"]
    svc.remove_entries(db, ACTOR, "bank", [found[0].entry_id])
    assert matcher.match([Query("video", vpdq=frames)]) == [[]]
    key = index_key(db, "bank")
    assert key is not None
    persisted = PDQIndex.load(tmp_path / "idx" / key / f"v{version(db)}" / "vpdq")
    assert len(persisted) == 5  # the other video's frames only
