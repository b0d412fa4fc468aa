"""Reading an item again by its stored location: a zip on the way is read from its directory, one
member, not every member before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsafe.media import archives
from netsafe.media import disk as disks
from netsafe.media.limits import Limits
from netsafe.media.locate import ItemGoneError, read_item
from netsafe.media.location import Location
from netsafe.media.sources import iter_sources

from .evidence_ui import fat_image, jpeg, tarred, zipped


def test_a_zip_member_is_read_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    members = {f"photos/{i:03}.bin": bytes([i]) * 5000 for i in range(60)}
    wanted = jpeg(9, (64, 48))
    members["photos/last/deep.tar.gz"] = tarred({"x.jpg": wanted})
    path = tmp_path / "bundle.zip"
    path.write_bytes(zipped(members))
    reads: list[int] = []
    real = archives.read_member

    def counting(*args: object, **kwargs: object) -> object:
        reads.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(archives, "read_member", counting)
    limits = Limits(max_file_size=1 << 20, max_member_in_memory=2 << 20)
    # The location as the scan's walk names it.
    stored = next(e.location for e in iter_sources([str(path)]) if e.location.name == "x.jpg")
    assert [s.kind for s in stored.steps] == ["file", "member", "member"]
    reads.clear()
    assert read_item(stored, limits) == wanted
    assert len(reads) == 2  # the zip member, then the tar.gz member: not the sixty before it


def test_a_missing_member_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(zipped({"a.jpg": b"x"}))
    with pytest.raises(ItemGoneError) as err:
        read_item(Location.file(str(path)).member("b.jpg", "zip"), Limits())
    assert "\n" not in str(err.value) and str(tmp_path) not in str(err.value)
    assert read_item(Location.file(str(path)).member("a.jpg", "zip"), Limits()) == b"x"


def test_a_file_in_a_disk_image_is_opened_by_its_inode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = jpeg(5, (64, 48))
    image = tmp_path / "usb.dd"
    fat_image(image, "a.jpg", wanted)
    stored = next(e.location for e in iter_sources([str(image)]) if e.location.name == "/a.jpg")
    assert stored.steps[-1].inode is not None
    walked: list[int] = []
    real_walk = disks.walk_disk

    def counting(*args: object, **kwargs: object) -> object:
        walked.append(1)
        return real_walk(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(disks, "walk_disk", counting)
    assert read_item(stored, Limits()) == wanted
    assert walked == []  # the file system not listed
    # Bytes the caller does not recognise after the jump: the whole walk is made again, and has the last word.
    checks: list[bytes] = []
    assert read_item(stored, Limits(), lambda data: bool(checks.append(data))) == wanted
    assert len(checks) == 1 and walked
