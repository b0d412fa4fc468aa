"""Arbitrary and damaged bytes through every walker: issues come out, exceptions never do."""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import zipfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from netsafe.media import Limits, Location, MediaItem, SourceIssue, Step, iter_bytes
from netsafe.media.sniff import container_kind, has_appended_zip

from .conftest import Builders, jpeg

# Small limits so that a random stream that happens to decompress well stays cheap.
LIMITS = Limits(max_expanded_size=8 * 1024 * 1024, max_depth=4, max_member_in_memory=1024 * 1024)

MAGICS = [
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b\x08\x00",
    b"BZh9",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"EVF\x09\x0d\x0a\xff\x00",
]


def _drain(data: bytes) -> list[MediaItem | SourceIssue]:
    events = list(iter_bytes(data, "fuzz.bin", LIMITS))
    for e in events:
        if isinstance(e, MediaItem):
            e.read_bytes()
        else:
            assert e.message and "\n" not in e.message
    assert isinstance(events[0], MediaItem) and events[0].size == len(data)
    return events


def _valid_archives() -> list[bytes]:
    photo = jpeg(90, (64, 48))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.jpg", photo)
        zf.writestr("b/c.txt", b"hello" * 50)
    out = [zbuf.getvalue()]
    for mode in ("w", "w:gz", "w:bz2", "w:xz"):
        tbuf = io.BytesIO()
        with tarfile.open(fileobj=tbuf, mode=mode) as tf:  # type: ignore[call-overload]
            info = tarfile.TarInfo("a.jpg")
            info.size = len(photo)
            tf.addfile(info, io.BytesIO(photo))
        out.append(tbuf.getvalue())
    import py7zr

    sbuf = io.BytesIO()
    with py7zr.SevenZipFile(sbuf, "w") as sz:
        sz.writestr(photo, "a.jpg")
    out.append(sbuf.getvalue())
    return out


VALID = _valid_archives()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(magic=st.sampled_from(MAGICS), tail=st.binary(max_size=4096))
def test_container_magic_with_random_tail(magic: bytes, tail: bytes) -> None:
    _drain(magic + tail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(VALID) - 1),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
    cut=st.floats(0.05, 1.0),
)
def test_damaged_real_archives(which: int, flips: list[tuple[float, int]], cut: float) -> None:
    data = bytearray(VALID[which])
    for where, value in flips:
        data[int(where * len(data))] = value
    _drain(bytes(data[: max(1, int(len(data) * cut))]))


@settings(max_examples=100, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 255), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=4
    ),
    tail=st.binary(max_size=2048),
)
@example(entries=[(0x83, 1, 2**32 - 1)], tail=b"")
def test_partition_tables_pointing_anywhere(entries: list[tuple[int, int, int]], tail: bytes) -> None:
    mbr = bytearray(512)
    for i, (ptype, start, count) in enumerate(entries):
        mbr[446 + 16 * i : 462 + 16 * i] = bytes([0x80, 0, 0, 0, ptype, 0, 0, 0]) + struct.pack(
            "<II", start, count
        )
    mbr[510:512] = b"\x55\xaa"
    _drain(bytes(mbr) + tail)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    container_kind(data)
    _drain(data)


_names = st.text(max_size=30)
_steps = st.one_of(
    st.builds(Step, kind=st.just("file"), name=_names),
    st.builds(
        Step,
        kind=st.just("partition"),
        name=_names,
        index=st.none() | st.integers(1, 128),
        offset=st.integers(0, 2**40),
        fs=st.none() | st.sampled_from(["ntfs", "fat32", "ext4", "exfat"]),
        image=st.none() | st.sampled_from(["raw", "split", "e01"]),
    ),
    st.builds(Step, kind=st.just("path"), name=_names, inode=st.none() | st.integers(0, 2**40)),
    st.builds(
        Step, kind=st.just("member"), name=_names, archive=st.sampled_from(["zip", "tar.gz", "7z", "gzip"])
    ),
)


@given(st.lists(_steps, max_size=6))
def test_location_json_round_trip(steps: list[Step]) -> None:
    loc = Location(tuple(steps))
    assert Location.from_json(loc.to_json()) == loc
    assert "\n" not in str(loc) and "\r" not in str(loc)


@pytest.fixture(scope="session")
def small_file_systems(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    base = tmp_path_factory.mktemp("fuzzfs")
    Builders.make_fat(
        base / "fat.img", {"d/a.jpg": jpeg(91, (64, 48))}, {"gone.jpg": jpeg(92, (64, 48))}, 512
    )
    Builders.make_ext4(
        base / "ext.img", {"d/a.jpg": jpeg(93, (64, 48))}, {"gone.jpg": jpeg(94, (64, 48))}, "1M"
    )
    return [(base / "fat.img").read_bytes(), (base / "ext.img").read_bytes()]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 1),
    flips=st.lists(st.tuples(st.integers(0, 70_000), st.integers(0, 255)), min_size=1, max_size=40),
)
def test_damaged_file_systems(
    small_file_systems: list[bytes], which: int, flips: list[tuple[int, int]]
) -> None:
    # Metadata lives in the first blocks: damage there exercises TSK's parsers, not just file contents.
    image = bytearray(small_file_systems[which])
    for pos, value in flips:
        image[pos % len(image)] = value
    _drain(bytes(image))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=4))
def test_any_byte_name_has_a_unicode_json_form_and_keeps_its_bytes(names: list[bytes]) -> None:
    loc = Location.file(os.fsdecode(b"/ev/" + names[0]))
    for name in names[1:]:
        loc = loc.member(os.fsdecode(name), "tar")
    steps = loc.to_json()
    json.dumps(steps, ensure_ascii=False).encode("utf-8")  # what the checkpoint and report.json write
    assert Location.from_json(json.loads(json.dumps(steps))) == loc
    assert [os.fsencode(s.name) for s in loc.steps] == [b"/ev/" + names[0], *names[1:]]
    shown = str(loc)
    shown.encode("utf-8")
    assert shown.isprintable()
    exact = loc.exact_hex()
    assert (exact is None) == all(s.name.isprintable() for s in loc.steps)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.binary(max_size=80))
@example(jpeg(5), b"PK\x05\x06" + bytes(18))
def test_any_tail_is_a_zip_or_not_never_an_exception(head: bytes, tail: bytes) -> None:
    data = b"\xff\xd8\xff" + head + tail
    has_appended_zip(io.BytesIO(data), len(data))
    _drain(data)


def _flagged(name: bytes, data: bytes) -> bytes:
    stand_in = "é".encode() + b"a" * (len(name) - 2)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(stand_in.decode(), data)
        zf.writestr("second.txt", b"second")
    return out.getvalue().replace(stand_in, name)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=3, max_size=20), st.data())
def test_zip_with_false_utf8_names_damaged_anywhere_never_raises(name: bytes, data: st.DataObject) -> None:
    raw = bytearray(_flagged(name, b"payload"))
    for _ in range(data.draw(st.integers(0, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    events = _drain(bytes(raw))
    for e in events:
        if isinstance(e, MediaItem) and e.location.name == "second.txt":
            assert e.read_bytes() == b"second"  # the fix-up never changes a member's content
