"""Disk images through pytsk3/pyewf: partitions, FAT/ext4/NTFS, deleted files, split and E01 forms."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from netsafe.media import Limits, Location, MediaItem, SourceIssue, iter_source, iter_sources

from .conftest import Builders, DiskEvidence, jpeg, md5, run, tool


def walk(path: Path | str, limits: Limits | None = None) -> list[MediaItem | SourceIssue]:
    return list(iter_source(str(path), limits))


def by_path(events: list[MediaItem | SourceIssue]) -> dict[tuple[int | None, str], MediaItem]:
    """(partition index, path in the file system) -> item, for items directly in a file system."""
    out: dict[tuple[int | None, str], MediaItem] = {}
    for e in events:
        if isinstance(e, MediaItem) and e.location.steps[-1].kind == "path":
            part = e.location.steps[-2]
            out[(part.index, e.location.steps[-1].name)] = e
    return out


def expect_disk(events: list[MediaItem | SourceIssue], ev: DiskEvidence, image: str) -> None:
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    found = by_path(events)
    for name, data in ev.fat_live.items():
        item = found[(1, "/" + name)]
        assert not item.deleted
        assert md5(item.read_bytes()) == md5(data)
    for name, data in ev.ext_live.items():
        item = found[(2, "/" + name)]
        assert not item.deleted
        assert md5(item.read_bytes()) == md5(data)
    # FAT overwrites the first letter of a deleted name; the content is still there.
    fat_deleted = [i for (p, _), i in found.items() if p == 1 and i.deleted]
    assert [i.location.steps[-1].name for i in fat_deleted] == ["/_one.jpg"]
    assert md5(fat_deleted[0].read_bytes()) == md5(ev.fat_deleted)
    ext_deleted = [i for (p, _), i in found.items() if p == 2 and i.deleted]
    assert [i.location.steps[-1].name for i in ext_deleted] == ["/erased.jpg"]
    assert md5(ext_deleted[0].read_bytes()) == md5(ev.ext_deleted)

    fat_part = found[(1, "/DCIM/a.jpg")].location.steps[1]
    assert (fat_part.kind, fat_part.index, fat_part.offset, fat_part.fs, fat_part.image) == (
        "partition",
        1,
        ev.fat_offset,
        "fat12",
        image,
    )
    ext_part = found[(2, "/pics/b.jpg")].location.steps[1]
    assert (ext_part.index, ext_part.offset, ext_part.fs) == (2, ev.ext_offset, "ext4")
    # An archive inside the disk image is opened too.
    zipped = [e for e in events if isinstance(e, MediaItem) and str(e.location).endswith("zip:z/c.jpg")]
    assert len(zipped) == 1
    assert str(zipped[0].location).endswith("/pics/inner.zip > zip:z/c.jpg")
    assert zipped[0].read_bytes() == jpeg(6)
    # The disk image given as a source is the evidence, not an item.
    assert all(e.location.steps[-1].kind != "file" for e in events)


def test_raw_partitioned_disk_fat_and_ext4_with_deleted_files(disk_evidence: DiskEvidence) -> None:
    events = walk(disk_evidence.raw)
    expect_disk(events, disk_evidence, "raw")
    item = by_path(events)[(1, "/DCIM/a.jpg")]
    assert str(item.location) == f"{disk_evidence.raw} > partition 1 (fat12 @ 1048576) > /DCIM/a.jpg"
    assert Location.from_json(item.location.to_json()) == item.location
    assert item.times.modified is not None


def test_split_image_reads_as_one_disk(disk_evidence: DiskEvidence) -> None:
    events = walk(disk_evidence.split[0])
    expect_disk(events, disk_evidence, "split")


def test_split_on_a_partition_start_lists_each_file_once(disk_evidence: DiskEvidence, tmp_path: Path) -> None:
    data = disk_evidence.raw.read_bytes()
    cut = disk_evidence.ext_offset  # the second segment starts with the ext4 superblock area
    (tmp_path / "cut.001").write_bytes(data[:cut])
    (tmp_path / "cut.002").write_bytes(data[cut:])
    events = walk(tmp_path)
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    inside = [e for e in events if isinstance(e, MediaItem) and len(e.location.steps) > 1]
    assert {e.location.steps[0].name for e in inside} == {str(tmp_path / "cut.001")}
    assert len(by_path(inside)) == len(by_path(walk(disk_evidence.raw)))


def test_e01_in_several_segments(disk_evidence: DiskEvidence) -> None:
    assert len(disk_evidence.e01) > 1, "ewfacquirestream should have written several segments"
    events = walk(disk_evidence.e01[0])
    expect_disk(events, disk_evidence, "e01")


def test_evidence_is_never_written(disk_evidence: DiskEvidence) -> None:
    files = [disk_evidence.raw, *disk_evidence.split, *disk_evidence.e01]
    before = {
        p: (p.stat().st_mtime_ns, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files
    }
    for source in (disk_evidence.raw, disk_evidence.split[0], disk_evidence.e01[0]):
        for e in walk(source):
            if isinstance(e, MediaItem):
                e.read_bytes()
    after = {
        p: (p.stat().st_mtime_ns, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files
    }
    assert after == before


def test_opened_read_only(disk_evidence: DiskEvidence, monkeypatch: pytest.MonkeyPatch) -> None:
    modes: list[tuple[str, int]] = []
    real_open = os.open

    def spy(path: str, flags: int, *args: int, **kwargs: int) -> int:
        modes.append((str(path), flags))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    evidence = {str(p) for p in (disk_evidence.raw, *disk_evidence.split, *disk_evidence.e01)}
    for source in (disk_evidence.raw, disk_evidence.split[0], disk_evidence.e01[0]):
        for e in walk(source):
            if isinstance(e, MediaItem):
                e.read_bytes()
    opened = [(p, f) for p, f in modes if p in evidence]
    assert {p for p, _ in opened} == evidence
    assert all(f & os.O_ACCMODE == os.O_RDONLY for _, f in opened)
    assert not any(f & (os.O_CREAT | os.O_TRUNC | os.O_APPEND) for _, f in opened)


def test_ntfs_file_system_without_partition_table(tmp_path: Path, build: type[Builders]) -> None:
    photos = {"holiday.jpg": jpeg(50), "scan.png": build.png(51)}
    image = tmp_path / "ntfs.img"
    build.make_ntfs(image, photos)
    events = walk(image)
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    found = {e.location.steps[-1].name: e for e in events if isinstance(e, MediaItem)}
    assert set(found) == {"/holiday.jpg", "/scan.png"}  # NTFS metadata files are not listed as items
    assert found["/holiday.jpg"].read_bytes() == photos["holiday.jpg"]
    part = found["/holiday.jpg"].location.steps[1]
    assert (part.index, part.offset, part.fs) == (None, 0, "ntfs")
    assert str(found["/holiday.jpg"].location) == f"{image} > file system (ntfs @ 0) > /holiday.jpg"


def test_disk_image_inside_a_folder_and_inside_an_archive(tmp_path: Path, build: type[Builders]) -> None:
    fat = tmp_path / "small.img"
    photo = jpeg(52)
    build.make_fat(fat, {"x.jpg": photo}, {}, size_kib=512)
    folder = tmp_path / "usb"
    folder.mkdir()
    (folder / "backup.bin").write_bytes(fat.read_bytes())
    (folder / "disk.zip").write_bytes(build.zip({"image.raw": fat.read_bytes()}))
    events = walk(folder)
    found = {str(e.location): e for e in events if isinstance(e, MediaItem)}
    assert f"{folder}/backup.bin" in found  # a disk image found in a folder is itself an item
    assert found[f"{folder}/backup.bin > file system (fat12 @ 0) > /x.jpg"].read_bytes() == photo
    assert (
        found[f"{folder}/disk.zip > zip:image.raw > file system (fat12 @ 0) > /x.jpg"].read_bytes() == photo
    )


def test_corrupt_file_systems_are_reported_not_fatal(tmp_path: Path, build: type[Builders]) -> None:
    fat = tmp_path / "fat.img"
    build.make_fat(fat, {"ok.jpg": jpeg(53)}, {}, size_kib=512)
    good = fat.read_bytes()
    garbage = os.urandom(len(good))
    disk = tmp_path / "two.dd"
    disk.write_bytes(build.mbr_disk([(0x0C, garbage), (0x06, good)]))
    events = walk(disk)
    problems = [e for e in events if isinstance(e, SourceIssue)]
    assert [(p.code, p.location.steps[-1].index) for p in problems] == [("corrupt-filesystem", 1)]
    assert "partition 1" in str(problems[0])
    items = [e for e in events if isinstance(e, MediaItem)]
    assert [i.location.steps[-1].name for i in items] == ["/ok.jpg"]

    # An NTFS signature over garbage: recognised as a disk by content, refused by TSK.
    fake = tmp_path / "fake.img"
    head = bytearray(os.urandom(64 * 1024))
    head[3:11] = b"NTFS    "
    head[510:512] = b"\x55\xaa"
    fake.write_bytes(bytes(head))
    events = walk(fake)
    assert [e.code for e in events if isinstance(e, SourceIssue)] == ["corrupt-filesystem"]

    truncated = tmp_path / "cut.dd"
    truncated.write_bytes(disk.read_bytes()[: 2048 * 512 + 4096])
    events = walk(truncated)
    assert events and all(isinstance(e, SourceIssue) for e in events)


def test_too_large_files_inside_a_disk(disk_evidence: DiskEvidence) -> None:
    events = walk(disk_evidence.raw, Limits(max_file_size=4000))
    large = [e for e in events if isinstance(e, SourceIssue) and e.code == "too-large"]
    assert large
    assert all(e.size <= 4000 for e in events if isinstance(e, MediaItem))


def test_several_sources_in_order(disk_evidence: DiskEvidence, tmp_path: Path) -> None:
    (tmp_path / "loose.jpg").write_bytes(jpeg(54))
    events = list(iter_sources([str(tmp_path / "loose.jpg"), str(disk_evidence.raw)]))
    assert str(events[0].location) == str(tmp_path / "loose.jpg")
    assert str(events[1].location).startswith(str(disk_evidence.raw))


def test_exfat_with_a_deleted_file(tmp_path: Path, build: type[Builders]) -> None:
    tool("mkfs.exfat", "exfatprogs")
    tool("mount.exfat-fuse", "exfat-fuse")
    image = tmp_path / "exfat.img"
    with image.open("wb") as fh:
        fh.truncate(4 * 1024 * 1024)
    run("mkfs.exfat", str(image))
    photos = {"a.jpg": jpeg(70), "d/keep.jpg": jpeg(71)}
    gone = jpeg(72)
    build.fuse_populate(image, ["mount.exfat-fuse", "--loop"], photos, {"d/gone.jpg": gone})
    events = walk(image)
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    found = {e.location.steps[-1].name: e for e in events if isinstance(e, MediaItem)}
    assert set(found) == {"/a.jpg", "/d/keep.jpg", "/d/gone.jpg"}  # $UPCASE_TABLE etc. are not items
    assert found["/d/gone.jpg"].deleted and not found["/a.jpg"].deleted
    assert found["/d/gone.jpg"].read_bytes() == gone
    assert found["/a.jpg"].location.steps[1].fs == "exfat"


def test_ntfs_deleted_file_and_alternate_data_stream(tmp_path: Path, build: type[Builders]) -> None:
    tool("ntfs-3g", "ntfs-3g")
    image = tmp_path / "ntfs.img"
    build.make_ntfs(image, {"keep.jpg": jpeg(73)})
    gone, hidden = jpeg(74), jpeg(78)
    build.fuse_populate(
        image,
        ["ntfs-3g", "-o", "streams_interface=windows"],
        {"Users/x/b.jpg": jpeg(75), "Users/x/note.txt": b"nothing here", "Users/x/note.txt:h.jpg": hidden},
        {"Users/x/gone.jpg": gone},
    )
    events = walk(image)
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    found = {e.location.steps[-1].name: e for e in events if isinstance(e, MediaItem)}
    assert not found["/keep.jpg"].deleted and not found["/Users/x/b.jpg"].deleted
    deleted = [e for e in found.values() if e.deleted]
    assert [e.read_bytes() for e in deleted] == [gone]
    assert deleted[0].location.steps[-1].name.endswith("gone.jpg")
    # A picture hidden in an alternate data stream is an item of its own, next to its file.
    assert found["/Users/x/note.txt"].read_bytes() == b"nothing here"
    stream = found["/Users/x/note.txt:h.jpg"]
    assert stream.read_bytes() == hidden
    assert stream.location.steps[-1].inode == found["/Users/x/note.txt"].location.steps[-1].inode


def test_gpt_partitioned_disk(tmp_path: Path, build: type[Builders]) -> None:
    fat = tmp_path / "fat.img"
    ext = tmp_path / "ext.img"
    build.make_fat(fat, {"a.jpg": jpeg(76)}, {}, size_kib=512)
    build.make_ext4(ext, {"b.jpg": jpeg(77)}, {}, size="1M")
    disk = tmp_path / "gpt.dd"
    disk.write_bytes(build.gpt_disk([fat.read_bytes(), ext.read_bytes()]))
    events = walk(disk)
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    found = {str(e.location).removeprefix(str(disk)): e for e in events if isinstance(e, MediaItem)}
    assert list(found) == [
        " > partition 1 (fat12 @ 1048576) > /a.jpg",
        f" > partition 2 (ext4 @ {1048576 + 512 * 1024}) > /b.jpg",
    ]
    assert found[" > partition 1 (fat12 @ 1048576) > /a.jpg"].read_bytes() == jpeg(76)


def test_deleted_name_whose_inode_was_reused_is_not_an_item(tmp_path: Path, build: type[Builders]) -> None:
    image = tmp_path / "reuse.img"
    build.make_ext4(image, {"a.jpg": jpeg(79), "d/x.jpg": jpeg(80)}, {"d/gone.jpg": jpeg(81)}, size="1M")
    newcomer = tmp_path / "new.jpg"
    newcomer.write_bytes(jpeg(82))
    run("debugfs", "-w", "-R", f"write {newcomer} new.jpg", str(image))  # takes the freed inode
    events = walk(image)
    found = {e.location.steps[-1].name: e for e in events if isinstance(e, MediaItem)}
    # "/d/gone.jpg" still names the inode, but it now holds new.jpg: listing it would put new.jpg's
    # content at a deleted name it never had.
    assert set(found) == {"/a.jpg", "/d/x.jpg", "/new.jpg"}
    assert found["/new.jpg"].read_bytes() == jpeg(82)


def test_e01_inside_an_archive(tmp_path: Path, build: type[Builders]) -> None:
    tool("ewfacquirestream", "ewf-tools")
    fat = tmp_path / "fat.img"
    photo = jpeg(83)
    build.make_fat(fat, {"in/e01.jpg": photo}, {}, size_kib=512)
    run("ewfacquirestream", "-q", "-c", "fast", "-t", str(tmp_path / "small"), stdin=fat.read_bytes())
    e01 = (tmp_path / "small.E01").read_bytes()
    bundle = tmp_path / "bundle.tar"
    bundle.write_bytes(build.tar({"exhibit/small.E01": e01}))
    events = walk(bundle)
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    found = {str(e.location): e for e in events if isinstance(e, MediaItem)}
    key = f"{bundle} > tar:exhibit/small.E01 > file system (fat12 @ 0) > /in/e01.jpg"
    assert found[key].read_bytes() == photo
    assert found[key].location.steps[2].image == "e01"


def test_encrypted_volumes_are_reported_as_encrypted(tmp_path: Path, build: type[Builders]) -> None:
    bitlocker = bytearray(os.urandom(256 * 1024))
    bitlocker[0:11] = b"\xebX\x90-FVE-FS-"
    bitlocker[510:512] = b"\x55\xaa"
    luks = bytearray(os.urandom(256 * 1024))
    luks[0:8] = b"LUKS\xba\xbe\x00\x02"
    disk = tmp_path / "laptop.dd"
    disk.write_bytes(build.mbr_disk([(0x07, bytes(bitlocker)), (0x83, bytes(luks))]))
    events = walk(disk)
    assert [(type(e).__name__, getattr(e, "code", None), e.location.steps[-1].index) for e in events] == [
        ("SourceIssue", "encrypted", 1),
        ("SourceIssue", "encrypted", 2),
    ]
    assert "BitLocker" in str(events[0]) and "LUKS" in str(events[1])
    whole = tmp_path / "home.img"
    whole.write_bytes(bytes(luks))
    [issue] = walk(whole)
    assert isinstance(issue, SourceIssue) and issue.code == "encrypted"


def test_e01_set_in_a_folder_is_read_once_from_its_first_segment(
    disk_evidence: DiskEvidence, tmp_path: Path
) -> None:
    folder = tmp_path / "exhibits"
    folder.mkdir()
    for segment in disk_evidence.e01:
        (folder / segment.name).symlink_to(segment)
    events = walk(folder, Limits(follow_symlinks=True))
    assert [e for e in events if isinstance(e, SourceIssue)] == []
    segments = [e for e in events if isinstance(e, MediaItem) and len(e.location.steps) == 1]
    assert len(segments) == len(disk_evidence.e01)  # every segment file is an item
    inside = [e for e in events if isinstance(e, MediaItem) and len(e.location.steps) > 1]
    assert {str(e.location.steps[0]) for e in inside} == {str(folder / disk_evidence.e01[0].name)}
    assert len(by_path(inside)) == len(by_path(walk(disk_evidence.e01[0])))
