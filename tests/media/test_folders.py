"""Folders and single files: content decides, special files and link loops are reported, nothing changes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from netsafe.media import Limits, MediaItem, SourceIssue, iter_source

from .conftest import Builders, jpeg


def walk(path: Path, limits: Limits | None = None) -> list[MediaItem | SourceIssue]:
    return list(iter_source(str(path), limits))


def test_folder_walk_is_sorted_and_reports_special_files(tmp_path: Path, build: type[Builders]) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "photo.txt").write_bytes(jpeg(60))
    (tmp_path / "a.png").write_bytes(build.png(61))
    (tmp_path / "empty").write_bytes(b"")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "link.jpg").symlink_to(tmp_path / "a.png")
    (tmp_path / "b" / "up").symlink_to(tmp_path)

    events = walk(tmp_path)  # must not block on the FIFO nor spin on the links
    summary = [
        (type(e).__name__, str(e.location).removeprefix(str(tmp_path)), getattr(e, "code", None))
        for e in events
    ]
    assert summary == [
        ("MediaItem", "/a.png", None),
        ("MediaItem", "/b/photo.txt", None),
        ("SourceIssue", "/b/up", "symlink"),
        ("MediaItem", "/empty", None),
        ("SourceIssue", "/link.jpg", "symlink"),
        ("SourceIssue", "/loop1", "symlink-loop"),
        ("SourceIssue", "/loop2", "symlink-loop"),
        ("SourceIssue", "/pipe", "special-file"),
    ]
    photo = next(e for e in events if isinstance(e, MediaItem) and e.location.name.endswith("photo.txt"))
    assert photo.read_bytes() == jpeg(60)
    assert photo.host_path == str(tmp_path / "b" / "photo.txt")
    assert photo.times.modified == (tmp_path / "b" / "photo.txt").stat().st_mtime


def test_following_links_never_loops(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.jpg").write_bytes(jpeg(62))
    (tmp_path / "d" / "again").symlink_to(tmp_path)
    events = walk(tmp_path, Limits(follow_symlinks=True))
    loops = [e for e in events if isinstance(e, SourceIssue)]
    assert [(e.code, e.location.name) for e in loops] == [("symlink-loop", str(tmp_path / "d" / "again"))]
    assert [e.location.name for e in events if isinstance(e, MediaItem)] == [str(tmp_path / "d" / "x.jpg")]


def test_single_file_and_fifo_and_missing_sources(tmp_path: Path) -> None:
    (tmp_path / "one.bin").write_bytes(jpeg(63))
    [item] = walk(tmp_path / "one.bin")
    assert isinstance(item, MediaItem) and item.size == len(jpeg(63))
    os.mkfifo(tmp_path / "fifo")
    [issue] = walk(tmp_path / "fifo")
    assert isinstance(issue, SourceIssue) and issue.code == "special-file"
    [missing] = walk(tmp_path / "nope")
    assert isinstance(missing, SourceIssue) and missing.code == "unreadable"
    (tmp_path / "self").symlink_to(tmp_path / "self")
    [loop] = walk(tmp_path / "self")
    assert isinstance(loop, SourceIssue) and loop.code == "symlink-loop"


def test_too_large_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(os.urandom(5000))
    (tmp_path / "small.jpg").write_bytes(jpeg(64)[:1000])
    events = walk(tmp_path, Limits(max_file_size=2000))
    assert [(type(e).__name__, e.location.name.rsplit("/", 1)[-1]) for e in events] == [
        ("SourceIssue", "big.bin"),
        ("MediaItem", "small.jpg"),
    ]


def test_walking_and_reading_changes_nothing(tmp_path: Path, build: type[Builders]) -> None:
    (tmp_path / "p.jpg").write_bytes(jpeg(65))
    (tmp_path / "a.zip").write_bytes(build.zip({"q.jpg": jpeg(66)}))
    os.utime(tmp_path / "p.jpg", (1_000_000_000, 1_000_000_000))
    os.utime(tmp_path / "a.zip", (1_000_000_000, 1_000_000_000))

    def state() -> dict[str, tuple[int, int, str]]:
        out = {}
        for p in sorted(tmp_path.iterdir()):
            st = p.stat()
            out[p.name] = (st.st_mtime_ns, st.st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        return out

    before = state()
    # An access time older than the modification time is one a plain read would update (relatime).
    os.utime(tmp_path / "p.jpg", (900_000_000, 1_000_000_000))
    for e in walk(tmp_path):
        if isinstance(e, MediaItem):
            e.read_bytes()
    # O_NOATIME (we own the file): even the access time stays as seized.
    assert (tmp_path / "p.jpg").stat().st_atime_ns == 900_000_000 * 10**9
    assert state() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "p.jpg"]


def test_folder_nesting_limit(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(6):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "x.jpg").write_bytes(jpeg(67))
    (tmp_path / "d" / "shallow.jpg").write_bytes(jpeg(68))
    events = walk(tmp_path, Limits(max_fs_depth=3))
    assert [(type(e).__name__, e.location.name.removeprefix(str(tmp_path))) for e in events] == [
        ("SourceIssue", "/d/d/d/d"),
        ("MediaItem", "/d/shallow.jpg"),
    ]
    assert isinstance(events[0], SourceIssue) and events[0].code == "too-deep"
    assert next(e.location.name for e in walk(tmp_path) if isinstance(e, MediaItem)).endswith("/x.jpg")
