"""The matcher service over the store: persisted per-set indexes that follow the sets' versions."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy.event

from netsafe.audit.service import Actor
from netsafe.matching.pdq_index import FORMAT_VERSION as PDQ_FORMAT_VERSION
from netsafe.services import hashsets as svc
from netsafe.services.matcher import Matcher, MatchError, Query, StoreNeededError
from netsafe.signals.vpdq import VpdqFrame
from netsafe.store.db import Database

ACTOR = Actor("test")


def _import(db: Database, *args: Any, **options: Any) -> svc.ImportResult:
    return svc.import_file(db, ACTOR, *args, **options)


rng = np.random.default_rng(7)


def random_pdq() -> str:
    return rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()


def flip(pdq: str, bits: int) -> str:
    value = int(pdq, 16)
    for bit in range(bits):
        value ^= 1 << (bit * 6)
    return f"{value:064x}"


def tx_file(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_exact_and_pdq_matches_with_threshold(db: Database, tmp_path: Path) -> None:
    pdqs = [random_pdq() for _ in range(50)]
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {p}" for p in pdqs] + ["md5 " + "ab" * 16]), "a")
    matcher = Matcher(db, tmp_path / "idx")
    queries = [
        Query("near", signals={"pdq": flip(pdqs[3], 20)}),
        Query("far", signals={"pdq": flip(pdqs[3], 40)}),
        Query("md5", signals={"md5": "ab" * 16}),
        Query("none", signals={"sha1": "cd" * 20}),
    ]
    near, far, md5, none = matcher.match(queries)
    assert [(m.signal, m.distance, m.hashset) for m in near] == [("pdq", 20, "a")]
    assert far == [] and none == []
    assert [(m.signal, m.distance) for m in md5] == [("md5", 0)]
    [[wide]] = matcher.match([queries[1]], max_distance=40)
    assert wide.distance == 40 and wide.entry_id == near[0].entry_id
    [[]] = matcher.match([queries[0]], max_distance=19)


def test_quality_filter_applies_to_file_queries(db: Database, tmp_path: Path) -> None:
    pdq = random_pdq()
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {pdq}"]), "a")
    matcher = Matcher(db, tmp_path / "idx")
    low = Query("f", path="f", signals={"pdq": pdq}, pdq_quality=30)
    assert matcher.match([low]) == [[]]
    assert len(matcher.match([low], min_quality=30)[0]) == 1


def test_index_persists_and_catches_up_with_new_versions(db: Database, tmp_path: Path) -> None:
    first, second = random_pdq(), random_pdq()
    _import(db, tx_file(tmp_path / "1.txt", [f"pdq {first}"]), "bank")
    idx = tmp_path / "idx"
    one = Matcher(db, idx)
    assert len(one.match([Query("q", signals={"pdq": first})])[0]) == 1
    [setdir] = idx.iterdir()
    assert [p.name for p in setdir.iterdir()] == ["v1"]
    _import(db, tx_file(tmp_path / "2.txt", [f"pdq {second}"]), "bank")
    # The same matcher sees the new version at once (incremental: only version 2's entries are read).
    [[hit]] = one.match([Query("q", signals={"pdq": second})])
    assert hit.distance == 0
    assert [p.name for p in setdir.iterdir()] == ["v2"]
    # A fresh process loads v2 from disk and matches both.
    fresh = Matcher(db, idx)
    assert [
        len(r) for r in fresh.match([Query("a", signals={"pdq": first}), Query("b", signals={"pdq": second})])
    ] == [1, 1]


def test_an_index_saved_by_an_older_netsafe_is_rebuilt(db: Database, tmp_path: Path) -> None:
    """Saved indexes are caches of the store: one in an older on-disk format is rebuilt, not an error."""
    import json

    pdq = random_pdq()
    _import(db, tx_file(tmp_path / "1.txt", [f"pdq {pdq}"]), "bank")
    idx = tmp_path / "idx"
    Matcher(db, idx).match([Query("q", signals={"pdq": pdq})])
    [manifest] = idx.glob("*/v1/pdq/manifest.json")
    saved = json.loads(manifest.read_text())
    saved["version"] = 1  # the format before the index had per-segment chunk layouts
    manifest.write_text(json.dumps(saved))
    [[hit]] = Matcher(db, idx).match([Query("q", signals={"pdq": flip(pdq, 5)})])
    assert hit.distance == 5
    assert json.loads(manifest.read_text())["version"] == PDQ_FORMAT_VERSION


def test_replaced_entries_leave_the_index(db: Database, tmp_path: Path) -> None:
    old, new = random_pdq(), random_pdq()
    _import(db, tx_file(tmp_path / "a.csv", ["media_id,pdq", f"m1,{old}"]), "bank", format="csv")
    matcher = Matcher(db, tmp_path / "idx")
    assert len(matcher.match([Query("q", signals={"pdq": old})])[0]) == 1
    _import(db, tx_file(tmp_path / "b.csv", ["media_id,pdq", f"m1,{new}"]), "bank", format="csv")
    for m in (matcher, Matcher(db, tmp_path / "idx")):  # caught up in memory, and loaded from v2 on disk
        old_hits, new_hits = m.match([Query("o", signals={"pdq": old}), Query("n", signals={"pdq": new})])
        assert old_hits == [] and len(new_hits) == 1


def test_hashset_selection_and_deleted_sets(db: Database, tmp_path: Path) -> None:
    pdq = random_pdq()
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {pdq}"]), "a")
    _import(db, tx_file(tmp_path / "b.txt", [f"pdq {pdq}"]), "b")
    matcher = Matcher(db, tmp_path / "idx")
    q = Query("q", signals={"pdq": pdq})
    assert [m.hashset for m in matcher.match([q])[0]] == ["a", "b"]
    assert [m.hashset for m in matcher.match([q], ["b"])[0]] == ["b"]
    with pytest.raises(MatchError, match="no hash set named 'c'"):
        matcher.match([q], ["c"])
    svc.delete_set(db, ACTOR, "a")
    assert [m.hashset for m in matcher.match([q])[0]] == ["b"]


def test_recreated_database_does_not_reuse_a_stale_index(database_url: str, tmp_path: Path) -> None:
    from netsafe.store.db import open_database
    from netsafe.store.migrate import downgrade, upgrade

    db = open_database(database_url)
    try:
        a, b = random_pdq(), random_pdq()
        _import(db, tx_file(tmp_path / "a.txt", [f"pdq {a}"]), "s")
        Matcher(db, tmp_path / "idx").match([Query("q", signals={"pdq": a})])
        downgrade(db, "base")  # the database is wiped and rebuilt; the index directory stays
        upgrade(db)
        _import(db, tx_file(tmp_path / "b.txt", [f"pdq {b}"]), "s")
        stale, fresh = Matcher(db, tmp_path / "idx").match(
            [Query("a", signals={"pdq": a}), Query("b", signals={"pdq": b})]
        )
        assert stale == [] and len(fresh) == 1
    finally:
        db.dispose()


def test_videos_match_by_vpdq(db: Database, tmp_path: Path) -> None:
    from netsafe.hashsets.model import Entry
    from netsafe.samples import synthetic_photo, write_video
    from netsafe.signals.vpdq import vpdq_from_source
    from netsafe.store import repositories as repo

    def video(name: str, seeds: list[int]) -> list[VpdqFrame]:
        path = tmp_path / name
        write_video(path, [np.asarray(synthetic_photo(s, 160, 120)) for s in seeds for _ in range(5)], fps=5)
        return vpdq_from_source(str(path))

    known = video("known.mp4", [1, 2, 3, 4])
    with db.session() as s:
        hs = repo.create_set(s, "videos", "uk-caid")
        v = repo.next_version(s, hs)
        repo.upsert_entries(s, hs.id, v, [Entry(vpdq=known, source_id="v1", category="C")])
    matcher = Matcher(db, tmp_path / "idx")
    same = video("copy.mp4", [1, 2, 3, 4])
    other = video("other.mp4", [11, 12, 13, 14])
    partial = video("partial.mp4", [1, 12, 13, 14])  # one shared scene in four: under vPDQ's 80%
    hit, miss, part = matcher.match(
        [Query(n, vpdq=f) for n, f in (("a", same), ("b", other), ("c", partial))]
    )
    [m] = hit
    assert m.signal == "vpdq" and m.category == "C" and m.source_id == "v1"
    body = m.as_dict()
    assert body["query_match_percent"] >= 80 and body["compared_match_percent"] >= 80 and body["segments"]
    assert miss == [] and part == []
    # Persisted and reloaded: a new matcher finds it from the saved frame index.
    assert len(Matcher(db, tmp_path / "idx").match([Query("a", vpdq=same)])[0]) == 1


def test_per_set_distance(db: Database, tmp_path: Path) -> None:
    pdq = random_pdq()
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {pdq}"]), "loose")
    _import(db, tx_file(tmp_path / "b.txt", [f"pdq {pdq}"]), "strict")
    matcher = Matcher(db, tmp_path / "idx")
    [hits] = matcher.match([Query("q", signals={"pdq": flip(pdq, 12)})], set_distances={"strict": 10})
    assert [(m.hashset, m.distance) for m in hits] == [("loose", 12)]
    with pytest.raises(MatchError):
        matcher.match([Query("q", signals={"pdq": pdq})], set_distances={"strict": 300})


def test_categories_are_cached_per_version(db: Database, tmp_path: Path) -> None:
    pdq = random_pdq()
    csv_file = tx_file(tmp_path / "a.csv", ["media_id,pdq,category", f"m1,{pdq},B"])
    _import(db, csv_file, "bank", format="csv")
    matcher = Matcher(db, tmp_path / "idx", refresh_seconds=3600)
    [[first]] = matcher.match([Query("q", signals={"pdq": pdq})])
    assert (first.category, first.category_label, first.source_id) == ("B", "Category B", "m1")
    statements: list[str] = []
    listen = sqlalchemy.event.listen
    listen(db.engine, "before_cursor_execute", lambda *a: statements.append(str(a[2])))
    [[again]] = matcher.match([Query("q", signals={"pdq": pdq})])
    assert again == first
    assert statements == []  # the versions were read within refresh_seconds and the category is cached
    # A re-grade arrives by import, which moves the version: the cache must not answer the old category.
    _import(db, tx_file(tmp_path / "b.csv", ["media_id,pdq,category", f"m1,{pdq},A"]), "bank", format="csv")
    matcher.refresh(force=True)
    [[regraded]] = matcher.match([Query("q", signals={"pdq": pdq})])
    assert (regraded.category, regraded.entry_id) == ("A", first.entry_id)
    assert any("entries" in s for s in statements)


def test_offline_matching_answers_from_memory_or_says_it_needs_the_store(
    db: Database, tmp_path: Path
) -> None:
    pdq, other = random_pdq(), random_pdq()
    csv_file = tx_file(tmp_path / "a.csv", ["media_id,pdq,category", f"m1,{pdq},B", f"m2,{other},C"])
    _import(db, csv_file, "bank", format="csv")
    matcher = Matcher(db, tmp_path / "idx", refresh_seconds=3600)
    near = Query("q", signals={"pdq": flip(pdq, 5)})
    with pytest.raises(StoreNeededError):  # nothing loaded yet
        matcher.match([near], offline=True)
    online = matcher.match([near])
    statements: list[str] = []
    sqlalchemy.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(str(a[2])))
    assert matcher.match([near], offline=True) == online  # index loaded, category cached
    assert matcher.match([Query("miss", signals={"pdq": random_pdq()})], offline=True) == [[]]
    with pytest.raises(StoreNeededError):  # m2's category has not been read yet
        matcher.match([Query("q2", signals={"pdq": other})], offline=True)
    assert statements == []
    with pytest.raises(MatchError):  # a bad request is still a bad request, not a reason to go online
        matcher.match([near], hashsets=["nope"], offline=True)
    # A new version: offline keeps answering from the index in memory until catch_up() loads the new one.
    added = random_pdq()
    _import(db, tx_file(tmp_path / "b.txt", [f"pdq {added}"]), "bank", format="tx")
    assert matcher.match([Query("new", signals={"pdq": added})], offline=True) == [[]]
    matcher.catch_up()
    [[fresh]] = matcher.match([Query("new", signals={"pdq": added})])
    assert fresh.distance == 0
    assert matcher.search([Query("new", signals={"pdq": added})], offline=True).hits[0][0].distance == 0
    with pytest.raises(StoreNeededError):  # categories are cached per version: m1's is read again
        matcher.match([near], offline=True)
    assert matcher.match([near]) == online == matcher.match([near], offline=True)


def test_a_new_set_joins_offline_answers_once_its_index_is_loaded(db: Database, tmp_path: Path) -> None:
    pdq = random_pdq()
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {pdq}"]), "bank", format="tx")
    matcher = Matcher(db, tmp_path / "idx", refresh_seconds=3600)
    matcher.catch_up()
    query = Query("q", signals={"pdq": pdq})
    assert len(matcher.search([query], offline=True).matches()[0]) == 1
    # Another set arrives; the versions are re-read (a catch-up is under way) but its index is not loaded.
    fresh = random_pdq()
    _import(db, tx_file(tmp_path / "b.txt", [f"pdq {fresh}"]), "incoming", format="tx")
    matcher.refresh(force=True)
    # Searches of every set keep answering from what is loaded instead of waiting for the new index...
    assert [m.hashset for m in matcher.search([query], offline=True).matches()[0]] == ["bank"]
    # ...while a search that names the new set waits for it online.
    with pytest.raises(StoreNeededError):
        matcher.search([Query("n", signals={"pdq": fresh})], hashsets=["incoming"], offline=True)
    matcher.catch_up()
    found = matcher.search([Query("n", signals={"pdq": fresh})], offline=True).matches()[0]
    assert [m.hashset for m in found] == ["incoming"]


def test_offline_matching_never_waits_for_another_thread(db: Database, tmp_path: Path) -> None:
    pdq = random_pdq()
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {pdq}"]), "bank", format="tx")
    matcher = Matcher(db, tmp_path / "idx", refresh_seconds=0.0)  # online calls re-read every time
    matcher.match([Query("q", signals={"pdq": pdq})])
    statements: list[str] = []
    sqlalchemy.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(str(a[2])))
    with matcher._lock:  # as while another thread loads an index
        result: list[BaseException] = []
        answers: list[object] = []
        query = Query("q", signals={"pdq": pdq})
        thread = threading.Thread(
            target=lambda: _capture(result, lambda: answers.append(matcher.match([query], offline=True)))
        )
        thread.start()
        thread.join(5)
        assert not thread.is_alive() and result == []
    [[[hit]]] = answers
    assert hit.distance == 0 and statements == []


def _capture(into: list[BaseException], call: Callable[[], object]) -> None:
    try:
        call()
    except BaseException as err:  # the test inspects whatever it was
        into.append(err)


def test_a_large_catch_up_leaves_one_segment(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of the store arrive as separate segments; a build from scratch must end as one (each segment
    # costs a full probe per query).
    from netsafe.services import indexes

    monkeypatch.setattr(
        indexes.repo, "iter_columns", functools.partial(indexes.repo.iter_columns, chunk=17_000)
    )
    pdqs = rng.integers(0, 256, (40_000, 32), dtype=np.uint8)
    _import(db, tx_file(tmp_path / "a.txt", [f"pdq {row.tobytes().hex()}" for row in pdqs]), "a")
    matcher = Matcher(db, tmp_path / "idx")
    [[hit]] = matcher.match([Query("q", signals={"pdq": pdqs[123].tobytes().hex()})])
    assert hit.distance == 0
    [index] = matcher._sets.values()
    assert index.pdq.segment_count == 1 and len(index.pdq) == 40_000


def test_details_of_several_searches_load_in_one_query(db: Database, tmp_path: Path) -> None:
    pdqs = [random_pdq() for _ in range(3)]
    rows = ["media_id,pdq,category"] + [f"m{k},{p},{'ABC'[k]}" for k, p in enumerate(pdqs)]
    _import(db, tx_file(tmp_path / "a.csv", rows), "bank", format="csv")
    matcher = Matcher(db, tmp_path / "idx", refresh_seconds=3600)
    matcher.match([Query("warm", signals={"pdq": random_pdq()})])
    pending = [
        matcher.search([Query(f"q{k}", signals={"pdq": flip(p, 3)})], offline=True)
        for k, p in enumerate(pdqs)
    ]
    assert all(len(found.missing) == 1 for found in pending)
    statements: list[str] = []
    sqlalchemy.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(str(a[2])))
    matcher.load_details(pending)
    assert len([s for s in statements if "entries" in s]) == 1
    got = [[(m.category, m.source_id, m.distance) for m in found.matches()[0]] for found in pending]
    assert got == [[("A", "m0", 3)], [("B", "m1", 3)], [("C", "m2", 3)]]
    # Cached now: the same searches need nothing from the store.
    assert matcher.search([Query("again", signals={"pdq": pdqs[1]})], offline=True).missing == {}


def test_one_failing_set_does_not_hold_back_the_others_nor_stay_served(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netsafe.services import matcher as service

    for name in ("a", "b"):
        svc.import_file(
            db, ACTOR, tx_file(tmp_path / f"{name}.txt", [f"pdq {random_pdq()}"]), name, format="tx"
        )
    matcher = Matcher(db, tmp_path / "idx", refresh_seconds=0.5)
    matcher.match([Query("warm", signals={"pdq": random_pdq()})])
    added = random_pdq()
    _import(db, tx_file(tmp_path / "b2.txt", [f"pdq {added}"]), "b", format="tx")
    original = matcher._index

    def broken(name: str) -> Any:
        if name == "a":
            raise RuntimeError("set a cannot be caught up")
        return original(name)

    monkeypatch.setattr(matcher, "_index", broken)
    with pytest.raises(RuntimeError, match="set a"):
        matcher.catch_up()
    [[hit]] = matcher.search([Query("new", signals={"pdq": added})], hashsets=["b"], offline=True).hits
    assert hit.index.name == "b" and hit.distance == 0  # b was caught up although a failed first
    monkeypatch.setattr(service, "STALE_REFRESHES", 0)  # as if the failures had gone on for long
    with pytest.raises(StoreNeededError, match="caught up"):
        matcher.search([Query("new", signals={"pdq": added})], hashsets=["b"], offline=True)


def test_index_read_in_bulk_from_the_store_matches_the_per_value_build(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build reads the store's hex columns in bulk (one conversion a page); it must answer exactly
    as the per-value build does, and so must the saved index a restarted matcher opens."""
    pdqs = [random_pdq() for _ in range(3000)]
    lines = [f"pdq {p}" for p in pdqs]
    lines += [f"md5 {i:032x}" for i in range(1, 1500)] + [f"sha1 {i:040x}" for i in range(1, 700)]
    _import(db, tx_file(tmp_path / "a.txt", lines), "a")
    queries = [Query(f"p{i}", signals={"pdq": flip(p, i % 25)}) for i, p in enumerate(pdqs[::37])]
    queries += [Query(f"m{i}", signals={"md5": f"{i:032x}"}) for i in (1, 2, 777, 1499, 1500)]
    queries += [Query(f"s{i}", signals={"sha1": f"{i:040x}"}) for i in (1, 699, 700)]

    def answers(matcher: Matcher) -> list[list[tuple[str, int, int]]]:
        return [[(m.signal, m.distance, m.entry_id) for m in ms] for ms in matcher.match(queries)]

    bulk = answers(Matcher(db, tmp_path / "bulk"))
    restarted = answers(Matcher(db, tmp_path / "bulk"))
    monkeypatch.setattr("netsafe.services.indexes._packed", lambda *_: None)
    per_value = answers(Matcher(db, tmp_path / "per-value"))
    assert bulk == per_value == restarted
    assert sum(1 for a in bulk if a) == len(pdqs[::37]) + 4 + 2  # md5 1500 and sha1 700 are not in it
