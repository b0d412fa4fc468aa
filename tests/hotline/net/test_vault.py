"""Vault: encrypted at rest, owner-only key made when missing, one-line errors for a wrong or damaged key."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from netsafe.errors import InvalidInput, NotFound
from netsafe.hotline.vault import Vault, VaultCorruptError, VaultKeyError, VaultNotFoundError

from .conftest import image_bytes

PICTURE = image_bytes("PNG")


def _all_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.rglob("*") if path.is_file())


def test_round_trip_and_no_plaintext_on_disk(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "captures", tmp_path / "vault.key")
    marker = b"PLAINTEXT-MARKER-" * 100
    first, second = vault.put(PICTURE), vault.put(marker)
    assert first != second
    assert vault.get(first) == PICTURE and vault.get(second) == marker
    on_disk = _all_bytes(tmp_path / "captures")
    assert b"PLAINTEXT-MARKER" not in on_disk and b"IHDR" not in on_disk
    assert sorted(vault.ids()) == sorted([first, second])
    assert first in vault and "0" * 32 not in vault


def test_key_file_created_owner_only_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "vault.key"
    key_file.parent.mkdir()
    item = Vault(tmp_path / "c", key_file).put(b"data")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(base64.b64decode(key_file.read_text())) == 32
    assert Vault(tmp_path / "c", key_file).get(item) == b"data"  # the same key read back


def test_wrong_key_is_named_as_such(tmp_path: Path) -> None:
    item = Vault(tmp_path / "c", tmp_path / "a.key").put(b"data")
    other = Vault(tmp_path / "c", tmp_path / "b.key")
    with pytest.raises(VaultKeyError) as caught:
        other.get(item)
    message = str(caught.value)
    assert "sealed with another key" in message and "\n" not in message
    assert str(tmp_path) not in message
    assert isinstance(caught.value, InvalidInput)


def test_damaged_item(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "c", tmp_path / "k")
    item = vault.put(b"data" * 100)
    path = tmp_path / "c" / item[:2] / item
    sealed = bytearray(path.read_bytes())
    sealed[-5] ^= 0xFF
    path.write_bytes(bytes(sealed))
    with pytest.raises(VaultCorruptError, match="damaged"):
        vault.get(item)
    path.write_bytes(b"junk")
    with pytest.raises(VaultCorruptError, match="not a vault file"):
        vault.get(item)


def test_an_item_moved_onto_another_id_does_not_decrypt(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "c", tmp_path / "k")
    one, two = vault.put(b"one"), vault.put(b"two")
    (tmp_path / "c" / two[:2] / two).write_bytes((tmp_path / "c" / one[:2] / one).read_bytes())
    with pytest.raises(VaultCorruptError):
        vault.get(two)


@pytest.mark.parametrize("content", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_malformed_key_file(tmp_path: Path, content: str) -> None:
    key_file = tmp_path / "k"
    key_file.write_text(content)
    key_file.chmod(0o600)
    with pytest.raises(VaultKeyError, match="is not a key"):
        Vault(tmp_path / "c", key_file)


def test_key_open_to_others_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "k"
    Vault(tmp_path / "c", key_file)
    key_file.chmod(0o644)
    with pytest.raises(VaultKeyError, match="chmod 600"):
        Vault(tmp_path / "c", key_file)


def test_delete_purge_and_missing(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "c", tmp_path / "k")
    items = [vault.put(bytes([i])) for i in range(5)]
    assert vault.delete(items[0]) is True and vault.delete(items[0]) is False
    assert vault.purge([*items[1:3], items[0]]) == 2
    assert sorted(vault.ids()) == sorted(items[3:])
    with pytest.raises(VaultNotFoundError) as caught:
        vault.get(items[1])
    assert isinstance(caught.value, NotFound)


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "", "A" * 32, "0" * 31, "../" + "0" * 29, "0" * 32 + "/x"]
)
def test_ids_cannot_name_other_files(tmp_path: Path, bad: str) -> None:
    vault = Vault(tmp_path / "c", tmp_path / "k")
    with pytest.raises(VaultNotFoundError):
        vault.get(bad)
    with pytest.raises(VaultNotFoundError):
        vault.delete(bad)


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vault = Vault(tmp_path / "c", tmp_path / "k")

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(Exception, match="No space left"):
        vault.put(b"data")
    assert [path for path in (tmp_path / "c").rglob("*") if path.is_file()] == []
