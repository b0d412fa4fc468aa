"""The review queue: unmatched images only, near-duplicates grouped, matched items never listed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netsafe.errors import InvalidInput, NotFound
from netsafe.review import queue
from netsafe.review.grouping import group_pdq
from netsafe.signals.codecs import hamming_hex

from .conftest import ACTOR, PAIRS, SETTINGS, SINGLES, Case, sha256


def _random_hex(rng: np.random.Generator) -> str:
    return bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()


def _flip(hex_hash: str, bits: list[int]) -> str:
    value = int(hex_hash, 16)
    for b in bits:
        value ^= 1 << b
    return f"{value:064x}"


def test_grouping_is_leader_based_and_exact() -> None:
    rng = np.random.default_rng(7)
    a, b = _random_hex(rng), _random_hex(rng)
    near_a = _flip(a, list(range(20)))  # 20 bits from a
    chained = _flip(near_a, list(range(20, 40)))  # 20 from near_a, 40 from a: must not join a's group
    hashes = [a, b, near_a, None, chained, _flip(b, [3])]
    got = group_pdq(hashes, 31)
    assert got.group == [0, 1, 0, 2, 3, 1]
    assert got.leader == [True, True, False, True, True, False]
    assert got.distance == [None, None, 20, None, None, 1]
    assert hamming_hex(a, chained) == 40


def test_grouping_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(3)
    base = [_random_hex(rng) for _ in range(40)]
    flips = [rng.choice(256, int(rng.integers(0, 40)), replace=False).tolist() for _ in base]
    hashes = base + [_flip(h, bits) for h, bits in zip(base, flips, strict=True)]
    got = group_pdq(hashes, 31)
    leaders = {g: i for i, g in enumerate(got.group) if got.leader[i]}
    for i, h in enumerate(hashes):
        lead = leaders[got.group[i]]
        assert hamming_hex(h, hashes[lead]) <= 31
        # No earlier leader within reach was passed over: greedy in order.
        for g, j in leaders.items():
            if j < i and g != got.group[i] and hamming_hex(h, hashes[j]) <= 31:
                assert j > leaders[got.group[i]] or got.leader[i]


def test_queue_groups_the_pairs_and_leaves_out_known(case: Case) -> None:
    page = queue.list_groups(case.db, ACTOR, case.scan_id, SETTINGS)
    assert page.total_items == 2 * PAIRS + SINGLES
    assert page.total_groups == PAIRS + SINGLES
    listed = {i.sha256 for g in page.groups for i in g.items}
    assert sha256(case.evidence.known) not in listed
    for original, resized in case.evidence.pairs:
        [group] = [g for g in page.groups if sha256(original) in {i.sha256 for i in g.items}]
        assert {i.sha256 for i in group.items} == {sha256(original), sha256(resized)}
        assert group.files == 2
    [single0] = [g for g in page.groups if g.items[0].sha256 == sha256(case.evidence.singles[0])]
    assert single0.files == 2  # one content at two locations
    assert page.counts == {"open": 2 * PAIRS + SINGLES, "graded": 0, "ignored": 0}


def test_queue_is_built_once(case: Case) -> None:
    first = queue.build_queue(case.db, ACTOR, case.scan_id, SETTINGS)
    again = queue.build_queue(case.db, ACTOR, case.scan_id, SETTINGS)
    assert first.created and not again.created
    assert (first.items, first.groups) == (again.items, again.groups)


def test_paging_and_bad_arguments(case: Case) -> None:
    page = queue.list_groups(case.db, ACTOR, case.scan_id, SETTINGS, offset=2, limit=2)
    assert [g.number for g in page.groups] == [3, 4]
    with pytest.raises(InvalidInput, match="limit"):
        queue.list_groups(case.db, ACTOR, case.scan_id, SETTINGS, limit=0)
    with pytest.raises(InvalidInput, match="state"):
        queue.list_groups(case.db, ACTOR, case.scan_id, SETTINGS, state="nope")
    with pytest.raises(NotFound, match="no scan with id 999"):
        queue.list_groups(case.db, ACTOR, 999, SETTINGS)


def test_item_source_is_the_first_location(case: Case) -> None:
    page = queue.list_groups(case.db, ACTOR, case.scan_id, SETTINGS)
    item = page.groups[0].items[0]
    source = queue.item_source(case.db, item.item)
    assert source.sha256 == item.sha256
    assert source.location[-1]["name"].endswith((".jpg", ".png"))
    with pytest.raises(NotFound):
        queue.item_source(case.db, 10_000)


def test_videos_group_by_vpdq() -> None:
    from netsafe.review.grouping import group_videos
    from netsafe.signals.vpdq import VpdqFrame

    rng = np.random.default_rng(11)
    frames = [_random_hex(rng) for _ in range(6)]
    clip = [VpdqFrame(n, float(n), 90, h) for n, h in enumerate(frames)]
    reencoded = [VpdqFrame(n, float(n), 90, _flip(h, [1, 2, 3])) for n, h in enumerate(frames)]
    other = [VpdqFrame(n, float(n), 90, _random_hex(rng)) for n in range(6)]
    got = group_videos([clip, other, None, reencoded], 31)
    assert got.group == [0, 1, 2, 0]
    assert got.leader == [True, True, True, False]


def test_a_video_and_its_resized_copy_are_one_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netsafe.samples import synthetic_photo, write_video
    from netsafe.store import open_database

    from .conftest import add_users, run_scan_of

    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    folder = tmp_path / "videos"
    folder.mkdir()
    stills = [synthetic_photo(200 + i // 10, 320, 240) for i in range(30)]
    write_video(folder / "clip.mp4", [np.asarray(s) for s in stills])
    write_video(folder / "clip-small.mp4", [np.asarray(s.resize((240, 180))) for s in stills])
    write_video(
        folder / "other.mp4", [np.asarray(synthetic_photo(300 + i // 10, 320, 240)) for i in range(30)]
    )
    db = open_database(f"sqlite:///{tmp_path / 'v.db'}")
    try:
        add_users(db)
        scan_id = run_scan_of(db, folder, tmp_path / "out")
        page = queue.list_groups(db, ACTOR, scan_id, SETTINGS)
        assert sorted(len(g.items) for g in page.groups) == [1, 2]
        assert {g.kind for g in page.groups} == {"video"}
    finally:
        db.dispose()


def test_two_first_listings_at_once_build_one_queue(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    from netsafe.review import grouping

    real = grouping.group_pdq

    def slow(hashes: list[str | None], distance: int) -> grouping.Grouping:
        time.sleep(0.5)  # both callers inside the build at once
        return real(hashes, distance)

    monkeypatch.setattr(queue, "group_pdq", slow)
    results: list[object] = []

    def build() -> None:
        try:
            results.append(queue.build_queue(case.db, ACTOR, case.scan_id, SETTINGS))
        except Exception as err:  # the test reports it below
            results.append(err)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    built = [r for r in results if isinstance(r, queue.QueueInfo)]
    assert len(built) == 2, results
    assert sorted(r.created for r in built) == [False, True]
