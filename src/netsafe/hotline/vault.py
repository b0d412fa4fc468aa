"""Captured bytes, encrypted at rest (AES-256-GCM) under a key that lives in its own file, never the store.

Each item is one file ``<directory>/<id[:2]>/<id>``: a header (format, the key's fingerprint, the nonce)
and the ciphertext with its tag. The item's id is bound in as associated data, so a file renamed or copied
over another item's does not decrypt. The fingerprint tells "this file was sealed with another key" from
"this file is damaged". Plaintext never touches the disk: it is encrypted in memory and the ciphertext is
written to a temporary file in the same folder, then renamed into place.

The key file holds 32 random bytes in base64; it is created (owner-only, 0600) when missing and refused
when others can read it, as ssh refuses a private key that is open to others.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from netsafe.errors import InvalidInput, NetsafeError, NotFound

_MAGIC = b"NSV1"
_NONCE = 12
_FINGERPRINT = 8
_HEADER = len(_MAGIC) + _FINGERPRINT + _NONCE
_ID = re.compile(r"[0-9a-f]{32}")


class VaultError(NetsafeError):
    """The vault cannot be used as configured (its folder, its key)."""


class VaultKeyError(VaultError, InvalidInput):
    """The key file is unreadable, malformed, open to others, or not the key the items were sealed with."""


class VaultCorruptError(VaultError, InvalidInput):
    """An item's file is damaged: it was sealed with this key but does not decrypt."""


class VaultNotFoundError(VaultError, NotFound):
    """No item with this id (never stored, or deleted)."""


class Vault:
    def __init__(self, directory: Path, key_file: Path) -> None:
        self._directory = Path(directory)
        self._key = _load_or_create_key(Path(key_file))
        self._aead = AESGCM(self._key)
        self.fingerprint = hashlib.sha256(b"netsafe-vault-key:" + self._key).digest()[:_FINGERPRINT]
        try:
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as err:
            raise VaultError(
                f"cannot create the capture folder (hotline.capture_dir): {err.strerror}"
            ) from None

    def put(self, data: bytes) -> str:
        item_id = secrets.token_hex(16)
        nonce = secrets.token_bytes(_NONCE)
        sealed = _MAGIC + self.fingerprint + nonce + self._aead.encrypt(nonce, data, item_id.encode())
        folder = self._directory / item_id[:2]
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".part-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(sealed)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, folder / item_id)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as err:
            raise VaultError(
                f"cannot write to the capture folder (hotline.capture_dir): {err.strerror}"
            ) from None
        return item_id

    def get(self, item_id: str) -> bytes:
        path = self._path(item_id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise VaultNotFoundError(
                f"no captured item {item_id} in the vault (deleted after retention?)"
            ) from None
        except OSError as err:
            raise VaultError(f"cannot read captured item {item_id}: {err.strerror}") from None
        if len(sealed) < _HEADER + 16 or not sealed.startswith(_MAGIC):
            raise VaultCorruptError(
                f"captured item {item_id} is damaged (not a vault file); restore it from backup"
            )
        fingerprint = sealed[len(_MAGIC) : len(_MAGIC) + _FINGERPRINT]
        if fingerprint != self.fingerprint:
            raise VaultKeyError(
                f"captured item {item_id} was sealed with another key (fingerprint {fingerprint.hex()}, this "
                f"key is {self.fingerprint.hex()}); point hotline.key_file at the key it was sealed with"
            )
        nonce = sealed[len(_MAGIC) + _FINGERPRINT : _HEADER]
        try:
            return self._aead.decrypt(nonce, sealed[_HEADER:], item_id.encode())
        except InvalidTag:
            raise VaultCorruptError(
                f"captured item {item_id} is damaged (it does not decrypt); restore it from backup"
            ) from None

    def delete(self, item_id: str) -> bool:
        """Remove one item; False when there was none (deleting twice is not an error)."""
        try:
            self._path(item_id).unlink()
        except FileNotFoundError:
            return False
        except OSError as err:
            raise VaultError(f"cannot delete captured item {item_id}: {err.strerror}") from None
        return True

    def purge(self, item_ids: Iterable[str]) -> int:
        """Remove every item named (the retention sweep); the number actually removed."""
        return sum(1 for item_id in item_ids if self.delete(item_id))

    def __contains__(self, item_id: object) -> bool:
        return (
            isinstance(item_id, str) and _ID.fullmatch(item_id) is not None and self._path(item_id).is_file()
        )

    def ids(self) -> Iterator[str]:
        """Every item in the vault (to find files the store no longer knows)."""
        for path in sorted(self._directory.glob("??/*")):
            if _is_item(path):
                yield path.name

    def ids_older_than(self, timestamp: float) -> set[str]:
        """Items, and pieces of interrupted writes, last written before ``timestamp`` (seconds since the
        epoch); the pieces are deleted here, since nothing can name them."""
        found = set()
        for path in self._directory.glob("??/*"):
            try:
                if path.stat().st_mtime >= timestamp:
                    continue
                if path.name.startswith(".part-"):
                    path.unlink()
                elif _is_item(path):
                    found.add(path.name)
            except OSError:
                continue  # gone meanwhile, or unreadable: the next sweep sees it again
        return found

    def _path(self, item_id: str) -> Path:
        # Ids come back from the store and from URLs: only the exact shape put() makes may name a file.
        if not isinstance(item_id, str) or _ID.fullmatch(item_id) is None:
            raise VaultNotFoundError("not a vault item id (32 hexadecimal digits)")
        return self._directory / item_id[:2] / item_id


def _is_item(path: Path) -> bool:
    """A file put() wrote: an item id, in the folder named by its first two digits."""
    return _ID.fullmatch(path.name) is not None and path.parent.name == path.name[:2]


def _load_or_create_key(key_file: Path) -> bytes:
    try:
        handle = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_file)
    except OSError as err:
        raise VaultKeyError(f"cannot create the vault key file (hotline.key_file): {err.strerror}") from None
    key = AESGCM.generate_key(bit_length=256)
    with os.fdopen(handle, "w") as out:
        out.write(base64.b64encode(key).decode("ascii") + "\n")
    return key


def _read_key(key_file: Path) -> bytes:
    try:
        mode = key_file.stat().st_mode
        text = key_file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not text"
        raise VaultKeyError(f"cannot read the vault key file (hotline.key_file): {reason}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise VaultKeyError("the vault key file (hotline.key_file) is open to others; chmod 600 it")
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise VaultKeyError("the vault key file (hotline.key_file) is not a key: expected 32 bytes in base64")
    return key
