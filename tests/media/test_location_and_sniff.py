"""Location forms, and containers told apart by their bytes only."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
from pathlib import Path

import pytest

from netsafe.media import Location, Step
from netsafe.media.sniff import CONTAINER_SNIFF_BYTES, container_kind, sniff

from .conftest import Builders, jpeg


def test_location_string_and_json() -> None:
    loc = (
        Location.file("/cases/7/usb.E01")
        .child(Step("partition", "DOS FAT32 (0x0b)", index=1, offset=1048576, fs="fat32", image="e01"))
        .child(Step("path", "/DCIM/x.zip", inode=42))
        .member("photos/b.tar.gz", "zip")
        .member("b.jpg", "tar.gz")
    )
    assert str(loc) == (
        "/cases/7/usb.E01 > partition 1 (fat32 @ 1048576) > /DCIM/x.zip > zip:photos/b.tar.gz > tar.gz:b.jpg"
    )
    assert loc.to_json() == [
        {"kind": "file", "name": "/cases/7/usb.E01"},
        {
            "kind": "partition",
            "name": "DOS FAT32 (0x0b)",
            "index": 1,
            "offset": 1048576,
            "fs": "fat32",
            "image": "e01",
        },
        {"kind": "path", "name": "/DCIM/x.zip", "inode": 42},
        {"kind": "member", "name": "photos/b.tar.gz", "archive": "zip"},
        {"kind": "member", "name": "b.jpg", "archive": "tar.gz"},
    ]
    assert Location.from_json(loc.to_json()) == loc
    assert loc.depth == 3
    assert loc.name == "b.jpg"
    whole = Location.file("/x.img").child(Step("partition", offset=0, fs="ntfs"))
    assert str(whole) == "/x.img > file system (ntfs @ 0)"


def test_string_form_stays_on_one_line() -> None:
    loc = Location.file("/ev/a\nb\udcff.jpg").member("x\ry\t.jpg", "zip")
    assert str(loc) == "/ev/a\\nb\\xff.jpg > zip:x\\ry\\t.jpg"  # \\xff: the byte the name had
    assert Location.from_json(loc.to_json()) == loc  # the JSON form keeps the exact names
    assert bytes.fromhex(loc.exact_hex() or "") == b"/ev/a\nb\xff.jpg > zip:x\ry\t.jpg"
    assert Location.file("/ev/plain.jpg").exact_hex() is None


def test_json_form_of_a_name_that_is_not_utf8_is_valid_unicode() -> None:
    loc = Location.file(os.fsdecode(b"/ev/caf\xe9.jpg")).member(os.fsdecode(b"\x80"), "tar")
    steps = loc.to_json()
    assert steps == [
        {"kind": "file", "name": "/ev/caf\\xe9.jpg", "name_bytes_hex": b"/ev/caf\xe9.jpg".hex()},
        {"kind": "member", "name": "\\x80", "name_bytes_hex": "80", "archive": "tar"},
    ]
    json.dumps(steps, ensure_ascii=False).encode("utf-8")
    assert Location.from_json(steps) == loc
    with pytest.raises(ValueError, match="name_bytes_hex"):
        Location.from_json([{"kind": "file", "name": "x", "name_bytes_hex": "zz"}])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "folder"}, "expected a list"),
        ([{"kind": "zip"}], "unknown kind"),
        ([{"kind": "file", "name": "a", "colour": 1}], "unknown field"),
        ([{"kind": "partition", "offset": "12"}], "'offset' must be an integer"),
        ([{"kind": "member", "name": "a", "archive": 7}], "'archive' must be a string"),
    ],
)
def test_location_from_bad_json(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Location.from_json(data)


def test_containers_by_content(build: type[Builders], tmp_path: Path) -> None:
    photo = jpeg(80)
    cases = {
        "zip": build.zip({"a": photo}),
        "tar": build.tar({"a": photo}),
        "gzip": gzip.compress(photo),
        "bzip2": bz2.compress(photo),
        "xz": lzma.compress(photo),
        "7z": build.sevenzip({"a": photo}),
    }
    for kind, data in cases.items():
        assert container_kind(data[:CONTAINER_SNIFF_BYTES]) == kind
    fat = tmp_path / "fat.img"
    build.make_fat(fat, {}, {}, size_kib=512)
    assert container_kind(fat.read_bytes()[:CONTAINER_SNIFF_BYTES]) == "disk"
    ext = tmp_path / "ext.img"
    build.make_ext4(ext, {"a.jpg": photo}, {}, size="1M")
    assert container_kind(ext.read_bytes()[:CONTAINER_SNIFF_BYTES]) == "disk"
    disk = build.mbr_disk([(0x06, fat.read_bytes())])
    assert container_kind(disk[:CONTAINER_SNIFF_BYTES]) == "disk"
    assert container_kind(photo[:CONTAINER_SNIFF_BYTES]) is None
    assert sniff(photo).kind == "image"


def test_v7_tar_without_magic_is_found_by_checksum(build: type[Builders]) -> None:
    data = bytearray(build.tar({"old.jpg": jpeg(81)}))
    data[257:265] = bytes(8)  # strip "ustar" magic and version: the header checksum field remains
    chk = sum(data[:148]) + 8 * 32 + sum(data[156:512])
    data[148:156] = f"{chk:06o}\x00 ".encode()
    assert container_kind(bytes(data[:CONTAINER_SNIFF_BYTES])) == "tar"
    data[100] ^= 0xFF  # a header with a wrong checksum is not a tar
    assert container_kind(bytes(data[:CONTAINER_SNIFF_BYTES])) is None


def test_boot_sector_like_noise_is_not_a_disk() -> None:
    noise = bytearray(1024)
    noise[510:512] = b"\x55\xaa"  # the signature alone, with no plausible partition entry
    noise[446 + 4] = 0x83
    noise[446] = 0x42  # invalid status byte
    assert container_kind(bytes(noise)) is None
