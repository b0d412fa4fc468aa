"""Archives found by content, walked recursively in memory, with every safety limit reported, none fatal."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from netsafe.media import Limits, MediaItem, SourceIssue, iter_bytes, iter_source
from netsafe.media.limits import MiB

from .conftest import Builders, jpeg, md5


def items(events: list[MediaItem | SourceIssue]) -> dict[str, MediaItem]:
    return {str(e.location): e for e in events if isinstance(e, MediaItem)}


def issues(events: list[MediaItem | SourceIssue]) -> list[SourceIssue]:
    return [e for e in events if isinstance(e, SourceIssue)]


def test_nested_zip_in_tar_gz_in_7z_named_as_anything(tmp_path: Path, build: type[Builders]) -> None:
    photo_a, photo_b, photo_c = jpeg(10), jpeg(11), build.png(12)
    inner = build.zip({"deep/a.jpg": photo_a, "b.dat": photo_b})
    middle = build.tar({"inner.zip": inner, "c.txt": photo_c}, "w:gz")
    outer = build.sevenzip({"middle.tgz": middle})
    (tmp_path / "holiday.docx").write_bytes(outer)  # names lie; content decides

    events = list(iter_source(str(tmp_path)))
    found = items(events)
    root = str(tmp_path / "holiday.docx")
    assert list(found) == [
        root,
        f"{root} > 7z:middle.tgz",
        f"{root} > 7z:middle.tgz > tar.gz:inner.zip",
        f"{root} > 7z:middle.tgz > tar.gz:inner.zip > zip:deep/a.jpg",
        f"{root} > 7z:middle.tgz > tar.gz:inner.zip > zip:b.dat",
        f"{root} > 7z:middle.tgz > tar.gz:c.txt",
    ]
    assert md5(found[f"{root} > 7z:middle.tgz > tar.gz:inner.zip > zip:deep/a.jpg"].read_bytes()) == md5(
        photo_a
    )
    assert found[f"{root} > 7z:middle.tgz > tar.gz:c.txt"].read_bytes() == photo_c
    assert found[root].host_path == root
    assert issues(events) == []
    deepest = found[f"{root} > 7z:middle.tgz > tar.gz:inner.zip > zip:deep/a.jpg"].location
    assert deepest.depth == 3
    assert [s.to_json() for s in deepest.steps][1:] == [
        {"kind": "member", "name": "middle.tgz", "archive": "7z"},
        {"kind": "member", "name": "inner.zip", "archive": "tar.gz"},
        {"kind": "member", "name": "deep/a.jpg", "archive": "zip"},
    ]


@pytest.mark.parametrize(("mode", "label"), [("w:bz2", "tar.bz2"), ("w:xz", "tar.xz"), ("w", "tar")])
def test_tar_flavours(build: type[Builders], mode: str, label: str) -> None:
    photo = jpeg(20)
    events = list(iter_bytes(build.tar({"x/p.jpg": photo}, mode), "upload.bin"))
    found = items(events)
    assert found[f"upload.bin > {label}:x/p.jpg"].read_bytes() == photo
    assert found[f"upload.bin > {label}:x/p.jpg"].times.modified == 1_700_000_000


def test_bare_gzip_member_is_named_from_its_header() -> None:
    photo = jpeg(21)
    out = io.BytesIO()
    with gzip.GzipFile(filename="camera.jpg", mode="wb", fileobj=out) as gz:
        gz.write(photo)
    found = items(list(iter_bytes(out.getvalue(), "x.gz")))
    assert found["x.gz > gzip:camera.jpg"].read_bytes() == photo


def test_traversal_names_are_reported_scanned_and_never_written(
    tmp_path: Path, build: type[Builders]
) -> None:
    photo = jpeg(22)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "t.zip").write_bytes(
        build.zip({"../../etc/x": photo, "/abs/path": b"abs", "C:/win.jpg": photo})
    )
    (evidence / "t.tar").write_bytes(build.tar({"../../../up.jpg": photo}))
    before = sorted(p for p in tmp_path.rglob("*"))
    cwd = os.getcwd()
    os.chdir(evidence)
    try:
        events = list(iter_source(str(evidence)))
    finally:
        os.chdir(cwd)
    unsafe = {str(i.location).split(" > ")[-1] for i in issues(events) if i.code == "unsafe-path"}
    assert unsafe == {"zip:../../etc/x", "zip:/abs/path", "zip:C:/win.jpg", "tar:../../../up.jpg"}
    found = items(events)
    # The content is still evidence: hashed in memory under its raw name.
    assert found[f"{evidence}/t.zip > zip:../../etc/x"].read_bytes() == photo
    assert found[f"{evidence}/t.tar > tar:../../../up.jpg"].read_bytes() == photo
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not Path("/abs/path").exists()


def _bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.bin", "w") as fh:
        chunk = bytes(1024 * 1024)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
    return out.getvalue()


def test_zip_bomb_stopped_by_ratio_while_streaming(tmp_path: Path) -> None:
    bomb = _bomb(48 * MiB)
    assert len(bomb) < 100_000
    (tmp_path / "a-bomb.zip").write_bytes(bomb)
    (tmp_path / "b-photo.jpg").write_bytes(jpeg(23))
    limits = Limits(max_ratio=100, ratio_grace=1 * MiB)
    events = list(iter_source(str(tmp_path), limits))
    bombs = [i for i in issues(events) if i.code == "zip-bomb"]
    assert len(bombs) == 1
    assert str(bombs[0].location) == f"{tmp_path}/a-bomb.zip > zip:zeros.bin"
    assert "max_ratio" in bombs[0].message
    found = items(events)
    assert f"{tmp_path}/a-bomb.zip > zip:zeros.bin" not in found
    assert f"{tmp_path}/b-photo.jpg" in found  # not fatal: the walk carries on


def test_expanded_size_limit_spans_nested_archives(build: type[Builders]) -> None:
    # Each member is harmless alone; together they pass the budget of the outermost archive.
    inner = build.zip({f"f{i}.bin": os.urandom(256 * 1024) for i in range(4)})
    outer = build.zip({f"inner{i}.zip": inner for i in range(4)})
    limits = Limits(max_expanded_size=2 * MiB)
    events = list(iter_bytes(outer, "outer.zip", limits))
    bombs = [i for i in issues(events) if i.code == "zip-bomb"]
    assert bombs and "max_expanded_size" in bombs[0].message
    assert len(items(events)) < 1 + 4 + 16


def test_header_lying_about_size_cannot_bypass_the_budget() -> None:
    bomb = bytearray(_bomb(8 * MiB))
    # Shrink the declared uncompressed size in the central directory: the reader must not trust it.
    cd = bomb.rfind(b"PK\x01\x02")
    bomb[cd + 24 : cd + 28] = (1000).to_bytes(4, "little")
    local = bomb.find(b"PK\x03\x04")
    bomb[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    events = list(iter_bytes(bytes(bomb), "liar.zip", Limits(max_expanded_size=1 * MiB)))
    assert {i.code for i in issues(events)} <= {"zip-bomb", "corrupt-archive"}
    assert issues(events)
    assert "liar.zip > zip:zeros.bin" not in items(events)


def test_nesting_depth_limit(build: type[Builders]) -> None:
    data = build.zip({"core.jpg": jpeg(24)})
    for level in range(5):
        data = build.zip({f"level{level}.zip": data})
    events = list(iter_bytes(data, "russian.zip", Limits(max_depth=3)))
    deep = [i for i in issues(events) if i.code == "too-deep"]
    assert len(deep) == 1
    assert deep[0].location.depth == 3
    assert all(e.location.depth <= 3 for e in items(events).values())
    assert not any(str(k).endswith("core.jpg") for k in items(events))
    unlimited = items(list(iter_bytes(data, "russian.zip")))
    assert any(k.endswith("zip:core.jpg") for k in unlimited)


def test_encrypted_zip_member_and_7z_are_reported(build: type[Builders]) -> None:
    data = bytearray(build.zip({"secret.jpg": bytes(64), "open.jpg": jpeg(25)}))
    # Set the "encrypted" flag bit on the first member in its local and central headers, as
    # password-protected zips have it (zipfile cannot write encrypted members itself).
    data[6] |= 0x1
    cd = data.find(b"PK\x01\x02")
    data[cd + 8] |= 0x1
    events = list(iter_bytes(bytes(data), "locked.zip"))
    assert [(str(i.location), i.code) for i in issues(events)] == [
        ("locked.zip > zip:secret.jpg", "encrypted")
    ]
    assert "locked.zip > zip:open.jpg" in items(events)

    aes = bytearray(build.zip({"aes.jpg": bytes(64)}))
    aes[8:10] = (99).to_bytes(2, "little")  # WinZip AES: compression method 99 in both headers
    cd = aes.find(b"PK\x01\x02")
    aes[cd + 10 : cd + 12] = (99).to_bytes(2, "little")
    events = list(iter_bytes(bytes(aes), "aes.zip"))
    assert [(str(i.location), i.code) for i in issues(events)] == [("aes.zip > zip:aes.jpg", "encrypted")]

    sealed = build.sevenzip({"a.jpg": jpeg(26)}, password="hunter2")
    events = list(iter_bytes(sealed, "sealed.7z"))
    assert [(str(i.location), i.code) for i in issues(events)] == [("sealed.7z", "encrypted")]
    content_only = build.sevenzip({"a.jpg": jpeg(26)}, password="hunter2", encrypt_header=False)
    events = list(iter_bytes(content_only, "half.7z"))
    assert [(str(i.location), i.code) for i in issues(events)] == [("half.7z", "encrypted")]


@pytest.mark.parametrize("cut", [0.3, 0.7, 0.95])
def test_truncated_archives_are_corrupt_not_fatal(build: type[Builders], cut: float) -> None:
    photos = {f"p{i}.jpg": jpeg(30 + i) for i in range(3)}
    for label, data in [
        ("zip", build.zip(photos)),
        ("tgz", build.tar(photos, "w:gz")),
        ("7z", build.sevenzip(photos)),
        ("txz", build.tar(photos, "w:xz")),
    ]:
        broken = data[: int(len(data) * cut)]
        events = list(iter_bytes(broken, f"broken.{label}"))
        assert items(events)[f"broken.{label}"].size == len(broken)
        assert any(i.code == "corrupt-archive" for i in issues(events)), label


def test_corrupt_member_costs_only_that_member(build: type[Builders]) -> None:
    first, second = jpeg(40), jpeg(41)
    data = bytearray(build.zip({"first.jpg": first, "second.jpg": second}))
    start = data.find(b"first.jpg") + len("first.jpg") + 20
    data[start : start + 40] = bytes(40)  # damage the first member's compressed stream
    events = list(iter_bytes(bytes(data), "damaged.zip"))
    assert [str(i.location) for i in issues(events) if i.code == "corrupt-archive"] == [
        "damaged.zip > zip:first.jpg"
    ]
    assert items(events)["damaged.zip > zip:second.jpg"].read_bytes() == second


def test_member_too_large_and_too_many_members(build: type[Builders]) -> None:
    data = build.zip({"big.bin": os.urandom(300_000), "small.jpg": jpeg(42)})
    events = list(iter_bytes(data, "a.zip", Limits(max_file_size=200_000)))
    assert [(str(i.location), i.code) for i in issues(events)] == [("a.zip > zip:big.bin", "too-large")]
    assert "a.zip > zip:small.jpg" in items(events)

    many = build.tar({f"n{i}.txt": b"x" for i in range(20)})
    events = list(iter_bytes(many, "many.tar", Limits(max_members=5)))
    assert [i.code for i in issues(events)] == ["too-many-members"]
    assert len(items(events)) == 1 + 5


def test_big_members_spill_to_private_temp_files_with_random_names(build: type[Builders]) -> None:
    payload = os.urandom(2 * MiB)
    data = build.zip({"../../evil-name.bin": payload})
    events = list(iter_bytes(data, "spill.zip", Limits(max_member_in_memory=256 * 1024)))
    member = items(events)["spill.zip > zip:../../evil-name.bin"]
    with member.open() as fh:
        path = Path(fh.name)
        assert hashlib.sha256(fh.read()).digest() == hashlib.sha256(payload).digest()
    assert path.parent.name.startswith("netsafe-spill-")
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert "evil" not in path.name
    del member, events
    import gc

    gc.collect()
    assert not path.exists()  # the spill file goes with the item


def test_tar_special_entries_carry_no_content() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        for name, kind in (("fifo", tarfile.FIFOTYPE), ("dev", tarfile.CHRTYPE), ("link", tarfile.SYMTYPE)):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            tf.addfile(info)
        info = tarfile.TarInfo("real.jpg")
        photo = jpeg(43)
        info.size = len(photo)
        tf.addfile(info, io.BytesIO(photo))
    found = items(list(iter_bytes(out.getvalue(), "s.tar")))
    assert list(found) == ["s.tar", "s.tar > tar:real.jpg"]


def test_7z_bomb_and_oversized_7z_member_are_caught_before_decompressing(build: type[Builders]) -> None:
    photo = jpeg(44)
    data = build.sevenzip({"zeros.bin": bytes(24 * MiB), "ok.jpg": photo})
    assert len(data) < 100_000
    events = list(iter_bytes(data, "b.7z", Limits(max_ratio=100, ratio_grace=1 * MiB)))
    assert [(str(i.location), i.code) for i in issues(events)] == [("b.7z", "zip-bomb")]
    assert list(items(events)) == ["b.7z"]
    events = list(iter_bytes(data, "b.7z", Limits(max_file_size=1 * MiB)))
    assert [(str(i.location), i.code) for i in issues(events)] == [("b.7z > 7z:zeros.bin", "too-large")]
    assert items(events)["b.7z > 7z:ok.jpg"].read_bytes() == photo


def test_zip_appended_to_an_image_is_opened(tmp_path: Path, build: type[Builders]) -> None:
    """A JPEG followed by a zip (a polyglot: a viewer shows the photo, unzip lists the archive)."""
    hidden = jpeg(70)
    photo = jpeg(71)
    polyglot = photo + build.zip({"hidden/a.jpg": hidden, "notes.txt": b"x"})
    (tmp_path / "holiday.jpg").write_bytes(polyglot)
    # A zip comment, and the polyglot inside a tar: found there too.
    with_comment = bytearray(polyglot)
    with_comment[-2:] = (5).to_bytes(2, "little")  # the end record's comment length
    (tmp_path / "inner.tar").write_bytes(build.tar({"c.jpg": bytes(with_comment) + b"hello"}))
    events = list(iter_source(str(tmp_path)))
    found = items(events)
    assert md5(found[f"{tmp_path}/holiday.jpg > zip:hidden/a.jpg"].read_bytes()) == md5(hidden)
    assert f"{tmp_path}/holiday.jpg > zip:notes.txt" in found
    assert f"{tmp_path}/inner.tar > tar:c.jpg > zip:hidden/a.jpg" in found
    assert found[f"{tmp_path}/holiday.jpg"].size == len(polyglot)  # the file itself is an item as ever
    assert issues(events) == []


def test_zip_end_record_by_chance_inside_an_image_is_not_an_archive() -> None:
    # The four bytes PK\5\6 in an image's data, with nothing consistent around them: no archive, no error.
    for fake in (
        jpeg(72) + b"PK\x05\x06" + bytes(18),  # no entries
        jpeg(73) + b"PK\x05\x06" + bytes(4) + (1).to_bytes(2, "little") * 2 + bytes(10) + b"xx",  # not at end
        jpeg(74)
        + b"PK\x05\x06"
        + bytes(4)
        + (1).to_bytes(2, "little") * 2
        + (10**9).to_bytes(4, "little")
        + bytes(6),
    ):
        events = list(iter_bytes(fake, "photo.jpg"))
        assert [str(e.location) for e in events] == ["photo.jpg"]


def test_nested_zip_bomb_is_stopped_at_the_first_layer_over_the_ratio(build: type[Builders]) -> None:
    """42.zip-style: 16 x 16 x 16 zips of 64 MiB of zeros (256 GiB) in 16 KB. Each layer alone stays
    under the ratio until the leaves; the nest as a whole does not. Reading leaf after leaf up to its own
    limit took minutes; the first layer over the ratio must stop the whole archive."""
    leaf = build.zip({"zeros.bin": bytes(64 * MiB)})
    nest = leaf
    for layer in ("l", "m", "n"):
        nest = build.zip({f"{layer}{i}.zip": nest for i in range(16)})
    assert len(nest) < 64 * 1024
    limits = Limits(ratio_grace=1 * MiB, max_ratio=100, max_expanded_size=2 * 1024 * MiB)
    events = list(iter_bytes(nest, "nest.zip", limits))
    bombs = [i for i in issues(events) if i.code == "zip-bomb"]
    assert bombs and "max_ratio" in bombs[0].message
    assert len(bombs) <= 4  # the layer that broke the limit, and each layer around it, once
    opened_leaves = [e for e in events if str(e.location).endswith(".zip > zip:zeros.bin")]
    assert len(opened_leaves) <= 1
    assert issues(events) == bombs


def _flagged_zip(names: dict[bytes, bytes]) -> bytes:
    """A zip flagged UTF-8 (bit 11) for every name, whatever its bytes: as some tools write them."""
    out = io.BytesIO()
    stand_ins = {}
    with zipfile.ZipFile(out, "w") as zf:
        for i, (name, data) in enumerate(names.items()):
            stand_in = ("é" + "abcdefgh"[i] * (len(name) - 2)).encode()  # unique, same length
            assert len(stand_in) == len(name)
            stand_ins[stand_in] = name
            zf.writestr(stand_in.decode(), data)
    raw = out.getvalue()
    for stand_in, name in stand_ins.items():
        raw = raw.replace(stand_in, name)
    return raw


def test_zip_name_flagged_utf8_that_is_not_costs_nothing(tmp_path: Path) -> None:
    """zipfile gives up on the whole archive over one such name; every member must still be read."""
    photo = jpeg(75)
    raw = _flagged_zip({b"caf\xe9.jpg": photo, "ok-é.txt".encode(): b"fine", b"\xff\xfe.bin": b"x"})
    for data, where in ((raw, "flagged.zip"), (jpeg(76) + raw, "polyglot.jpg")):
        events = list(iter_bytes(data, where))
        assert issues(events) == []
        found = items(events)
        assert md5(found[f"{where} > zip:caf\\xe9.jpg"].read_bytes()) == md5(photo)
        assert found[f"{where} > zip:ok-é.txt"].read_bytes() == b"fine"
        named = {os.fsencode(e.location.steps[-1].name) for e in events if len(e.location.steps) == 2}
        assert named == {b"caf\xe9.jpg", "ok-é.txt".encode(), b"\xff\xfe.bin"}
