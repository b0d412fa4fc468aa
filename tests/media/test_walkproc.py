"""Disk images are listed by a walker process the scan can stop: a file system that keeps The Sleuth Kit
busy in C costs that file system (one line in the report), never the scan, and leaves no process behind."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media.conftest import Builders, jpeg
from netsafe.media import Limits, Location, MediaItem, SourceIssue, disk, iter_bytes, iter_source, walkproc
from netsafe.media.blobs import StreamReader

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# 4 bytes the fuzzer inserted into an ext4 image's metadata: its root folder now claims 1.1 GB, and
# TSK's open_dir spends ~25 s in C (holding the GIL) before it gives up.
SLOW = Path(__file__).resolve().parents[1] / "data" / "fuzz" / "ext4-slow-open-dir.img.gz"
STALL = Limits(fs_stall_seconds=1.0)


def slow_image() -> bytes:
    return gzip.decompress(SLOW.read_bytes())


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_stuck_walk_is_stopped_and_its_walker_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    lease = walkproc.lease

    def spy() -> walkproc.Walker:
        walker = lease()
        started.append(walker.pid)
        return walker

    monkeypatch.setattr(walkproc, "lease", spy)
    t0 = time.monotonic()
    events = list(iter_bytes(slow_image(), "disk.img", STALL))
    assert time.monotonic() - t0 < 5
    issues = [e for e in events if isinstance(e, SourceIssue)]
    assert len(issues) == 1, issues
    assert issues[0].code == "corrupt-filesystem"
    assert "file system walk took longer than 1 s without progress: the image may be damaged" in str(
        issues[0]
    )
    assert str(issues[0]).startswith("disk.img > file system (ext4 @ 0)")
    assert started and not [pid for pid in started if running(pid)]


def test_the_partitions_after_a_stuck_one_are_still_listed(tmp_path: Path, build: type[Builders]) -> None:
    fat = tmp_path / "fat.img"
    build.make_fat(fat, {"ok.jpg": jpeg(61)}, {}, size_kib=512)
    disk = tmp_path / "two.dd"
    disk.write_bytes(build.mbr_disk([(0x83, slow_image()[: 1 << 20]), (0x06, fat.read_bytes())]))
    events = list(iter_source(str(disk), STALL))
    issues = [e for e in events if isinstance(e, SourceIssue)]
    assert [(i.code, i.location.steps[-1].index) for i in issues] == [("corrupt-filesystem", 1)]
    assert "took longer than 1 s" in issues[0].message
    items = [e for e in events if isinstance(e, MediaItem)]
    assert [str(i.location).split(" > ", 1)[1] for i in items] == ["partition 2 (fat12 @ 2097152) > /ok.jpg"]
    assert items[0].read_bytes() == jpeg(61)


def test_walkers_are_reused_between_images(build: type[Builders], tmp_path: Path) -> None:
    fat = tmp_path / "fat.img"
    build.make_fat(fat, {"a.jpg": jpeg(62)}, {}, size_kib=256)
    started: list[int] = []
    real = walkproc.Walker.__init__

    def spy(self: walkproc.Walker) -> None:
        real(self)
        started.append(self.pid)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(walkproc.Walker, "__init__", spy)
        for _ in range(3):
            assert [e for e in iter_source(str(fat)) if isinstance(e, MediaItem)]
    assert len(started) <= 1  # none if this thread already had one idle


_STUCK = """
import gzip, sys
from netsafe.media import Limits, iter_bytes
image = gzip.decompress(open(sys.argv[1], "rb").read())
print("walking", flush=True)
list(iter_bytes(image, "disk.img", Limits(fs_stall_seconds=600)))
"""


def test_kill_9_during_a_stuck_walk_leaves_no_walker(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _STUCK, str(SLOW)], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"walking\n"
        deadline = time.monotonic() + 30
        while not (walkers := _children(proc.pid)):
            assert time.monotonic() < deadline, "no walker started"
            time.sleep(0.05)
        time.sleep(0.5)  # into TSK's loop
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while (left := [pid for pid in walkers if running(pid)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, "the walker outlived the scan that started it"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry))
    return found


_FIELD = st.one_of(
    st.none(),
    st.just(0),
    st.integers(),
    st.booleans(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["corrupt-filesystem", "too-large", "disk", "fs", "part", "/a.jpg"]),
    st.lists(st.none() | st.floats() | st.integers() | st.text(max_size=3), max_size=5),
)
_ARITY = {"p": 3, "f": 1, "F": 6, "i": 5, "b": 0, "x": 2}


@st.composite
def _message(draw: st.DrawFn) -> list[object]:
    """Mostly the shape tskwalk sends (the right number of fields), with anything in the fields."""
    kind = draw(st.sampled_from(sorted(_ARITY)))
    n = max(0, _ARITY[kind] + draw(st.sampled_from([0, 0, 0, 0, -1, 1])))
    return [kind, *draw(st.lists(_FIELD, min_size=n, max_size=n))]


@pytest.fixture(scope="module")
def small_fat(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("fat") / "fat.img"
    Builders.make_fat(path, {"a.jpg": jpeg(63)}, {}, size_kib=256)
    return path.read_bytes()


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(_message(), max_size=12))
def test_whatever_a_broken_walker_sends_is_files_issues_or_a_crash(
    small_fat: bytes, messages: list[list[object]]
) -> None:
    # The walker runs TSK on hostile bytes: if that ever subverted it, what it sends is hostile too.
    reader = StreamReader(io.BytesIO(small_fat), len(small_fat))
    run = disk._DiskRun(disk._Img(reader), Location.file("d.img"), "raw", Limits())
    for msg in [["p", None, 0, ""], ["f", "fat12"], *messages]:
        try:
            found = list(run.event(msg))
        except (ValueError, TypeError, IndexError, OverflowError):
            continue  # the scan process ends that walker and reports it as crashed
        for event in found:
            assert isinstance(event, disk.FsFile | SourceIssue)
            assert "\n" not in str(event) and "\r" not in str(event)
            if isinstance(event, SourceIssue):
                assert event.code in ("corrupt-filesystem", "too-large")
