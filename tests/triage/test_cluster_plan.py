"""Cutting a source's walk into batches: every event in exactly one batch, in walk order, batches about
the size asked, and the events a one-process run stored already in none."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netsafe.media.item import MediaItem, SourceIssue
from netsafe.media.location import Location
from netsafe.triage.tasks import SourcePlan, batch_size, plan_events
from netsafe.triage.taskstore import batches


def _events(sizes: list[int | None]) -> list[MediaItem | SourceIssue]:
    """A file of that size, or an issue (None), per entry."""
    out: list[MediaItem | SourceIssue] = []
    for i, size in enumerate(sizes):
        loc = Location.file(f"/e/{i}")
        if size is None:
            out.append(SourceIssue(loc, "unreadable", "x"))
        else:
            out.append(MediaItem(loc, size, lambda: None))  # type: ignore[arg-type, return-value]
    return out


walks = st.lists(st.one_of(st.none(), st.integers(0, 1 << 20)), max_size=300)


@given(walks, st.integers(1, 20), st.integers(1, 4 << 20), st.integers(1, 8))
def test_batches_cover_the_walk_once_in_order(
    sizes: list[int | None], chunk_files: int, chunk_bytes: int, workers: int
) -> None:
    plan = plan_events(0, _events(sizes), chunk_files, chunk_bytes)
    assert plan.events == len(sizes)
    assert plan.files == sum(s is not None for s in sizes)
    files, nbytes = batch_size([plan], workers)
    runs = batches(plan, files, nbytes)
    covered = [seq for start, end in runs for seq in range(start, end)]
    assert covered == list(range(len(sizes)))
    assert all(start < end for start, end in runs)
    assert all(start in {c.start for c in plan.chunks} for start, _ in runs)  # cut at chunk starts only


def test_a_walk_is_cut_for_the_workers() -> None:
    plan = plan_events(0, _events([1000] * 100), 5, 1 << 30)
    assert len(plan.chunks) == 20
    files, _ = batch_size([plan], 2)
    assert files == 12  # 100 files, 2 workers, 4 batches each
    assert len(batches(plan, files, 1 << 30)) == 7  # chunks of 5 joined while under 12 files


def test_an_empty_source_has_no_batch() -> None:
    assert batches(SourcePlan(0, 0, ()), 10, 10) == []
