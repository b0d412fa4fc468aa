"""Archive and disk-image readers and image decoding, fed mutated benign evidence: only media items and
one-line issues come out (never an exception, never the last-resort "unexpected" issue that means a reader
failed in a way nobody planned for), each item reads or fails cleanly, in bounded time."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media.conftest import jpeg, make_ext4, make_fat
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.media import Limits, MediaItem, SourceIssue, iter_bytes
from netsafe.triage.work import digest_item

from .binary import archives, mutated, picture

# CI runs 100 examples a test (about a second each); NETSAFE_FUZZ_EXAMPLES=5000 makes a longer hunt locally.
BUDGET = settings(
    max_examples=int(os.environ.get("NETSAFE_FUZZ_EXAMPLES", "100")),
    deadline=5000,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
# Small enough that a mutated length field cannot make a test slow, large enough for every real member.
LIMITS = Limits(max_file_size=8 << 20, ratio_grace=1 << 20, max_expanded_size=32 << 20, fs_stall_seconds=2)


def walk_bytes(data: bytes, name: str) -> list[MediaItem | SourceIssue]:
    started = time.monotonic()
    events = list(iter_bytes(data, name, LIMITS))
    for event in events:
        assert isinstance(event, MediaItem | SourceIssue), event
        if isinstance(event, SourceIssue):
            text = str(event)
            assert "\n" not in text and "\r" not in text, text
            # The last resort: an unplanned error that cost the rest of its archive, disk or source.
            assert not event.message.startswith("unexpected "), text
        else:
            # Reading an item from a damaged container may fail, but only as the scan reports it.
            digested = digest_item(event, ("md5",), keep=True)
            assert digested.error is None or "\n" not in digested.error
    assert time.monotonic() - started < 5
    return events


@BUDGET
@given(data=archives())
def test_mutated_archives(data: bytes) -> None:
    events = walk_bytes(data, "upload.bin")
    assert isinstance(events[0], MediaItem)  # the upload itself always comes first


@pytest.fixture(scope="module")
def small_disks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A FAT and an ext4 image with two pictures and a deleted one each."""
    folder = tmp_path_factory.mktemp("disks")
    live, deleted = {"DCIM/a.jpg": jpeg(1), "b.jpg": jpeg(2)}, {"gone.jpg": jpeg(3)}
    make_fat(folder / "fat.img", live, deleted, size_kib=256)
    make_ext4(folder / "ext4.img", live, deleted, size="1M")
    return {name: (folder / f"{name}.img").read_bytes() for name in ("fat", "ext4")}


# Where most mutations land: the FATs and root folder (after the boot sector), the ext4 superblock, group
# descriptors, bitmaps and inode table. A boot sector broken too far is not recognised as a file system
# at all, which tests little, so it gets only the share of mutations that land anywhere.
HOT = {"fat": (512, 16 * 1024), "ext4": (1024, 64 * 1024)}


@pytest.mark.parametrize("fs", ["fat", "ext4"])
@BUDGET
@given(data=st.data())
def test_mutated_disk_images(small_disks: dict[str, bytes], fs: str, data: st.DataObject) -> None:
    # Bytes shifted inside ext4 metadata can keep The Sleuth Kit busy in C (see
    # test_ext4_shifted_metadata_is_read_in_bounded_time): such an example costs LIMITS.fs_stall_seconds.
    image = data.draw(mutated(small_disks[fs], hot=HOT[fs]))
    walk_bytes(image, "disk.img")


REPRODUCERS = Path(__file__).resolve().parents[1] / "data" / "fuzz"


def test_ext4_shifted_metadata_is_read_in_bounded_time() -> None:
    # The fuzzer's 4 inserted bytes make the root folder claim 1.1 GB: TSK's open_dir then spends ~25 s in
    # C. Its walker process is stopped after LIMITS.fs_stall_seconds and the file system reported.
    image = gzip.decompress((REPRODUCERS / "ext4-slow-open-dir.img.gz").read_bytes())
    events = walk_bytes(image, "disk.img")
    issues = [e for e in events if isinstance(e, SourceIssue)]
    assert [i.code for i in issues] == ["corrupt-filesystem"]
    assert "file system walk took longer than 2 s without progress" in issues[0].message


@pytest.mark.parametrize("fs", ["fat", "ext4"])
def test_the_unmutated_disk_images_are_read(small_disks: dict[str, bytes], fs: str) -> None:
    # The harness is only worth something if the clean image is really opened as a file system.
    events = walk_bytes(small_disks[fs], "disk.img")
    names = {str(e.location).rsplit(" > ", 1)[-1] for e in events if isinstance(e, MediaItem)}
    assert {"/DCIM/a.jpg", "/b.jpg"} <= names, names


OPTIONS = HashOptions(signals=frozenset({"md5", "pdq"}))
PICTURES = {fmt: picture(7, fmt) for fmt in ("PNG", "JPEG", "GIF")}


@BUDGET
@given(fmt=st.sampled_from(sorted(PICTURES)), data=st.data())
def test_mutated_pictures(fmt: str, data: st.DataObject) -> None:
    damaged = data.draw(mutated(PICTURES[fmt], hot=(0, 256)))
    started = time.monotonic()
    record = hash_bytes(damaged, f"x.{fmt.lower()}", OPTIONS)
    assert time.monotonic() - started < 5
    assert record.digests.get("md5")
    if record.error is not None:
        assert "\n" not in record.error and record.pdq is None
    elif record.kind == "image":
        assert record.pdq is not None and len(record.pdq) == 64


def test_the_unmutated_pictures_hash() -> None:
    for fmt, data in PICTURES.items():
        record = hash_bytes(data, f"x.{fmt.lower()}", OPTIONS)
        assert record.error is None and record.pdq is not None, fmt
