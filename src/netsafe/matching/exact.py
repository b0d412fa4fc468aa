"""Exact-value index for MD5, SHA-1, SHA-256, PhotoDNA (and exact PDQ): hash value -> int64 ids.

Values are kept as fixed-width bytes in one sorted array (binary search, 16-144 bytes a row, no per-entry
Python objects), with a small dict of recent additions merged in when it grows past a quarter of the sorted
part, so adding n values costs O(n log n) in total. Persisted as two .npy arrays and a manifest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from netsafe.matching.pdq_index import IndexFormatError
from netsafe.signals.codecs import HEX_LENGTHS, normalise_hex

FORMAT_NAME = "netsafe-exact-index"
FORMAT_VERSION = 1
MIN_DELTA = 4096

IdArray = npt.NDArray[np.int64]


class ExactIndex:
    """Maps the exact value of one signal (``md5``, ``sha1``, ``sha256``, ``photodna``, ``pdq``) to ids."""

    def __init__(self, signal: str) -> None:
        if signal not in HEX_LENGTHS:
            raise ValueError(f"unknown signal {signal!r}; expected one of {', '.join(sorted(HEX_LENGTHS))}")
        self.signal = signal
        self.width = HEX_LENGTHS[signal] // 2
        self._keys = np.empty(0, dtype=f"S{self.width}")
        self._ids = np.empty(0, dtype=np.int64)
        self._alive = np.empty(0, dtype=np.bool_)
        self._delta: dict[bytes, list[int]] = {}
        self._delta_rows = 0

    def __len__(self) -> int:
        return int(np.count_nonzero(self._alive)) + self._delta_rows

    def _key(self, value: str | bytes) -> bytes:
        if isinstance(value, bytes):
            if len(value) != self.width:
                raise ValueError(f"{self.signal}: expected {self.width} bytes, got {len(value)}")
            return value
        return bytes.fromhex(normalise_hex(value, self.signal))

    def add(self, ids: Sequence[int] | npt.ArrayLike, values: Sequence[str | bytes]) -> None:
        """Add (id, value) pairs; each is found by :meth:`lookup` as soon as this returns."""
        id_list = np.asarray(ids, dtype=np.int64).reshape(-1).tolist()
        if len(id_list) != len(values):
            raise ValueError(f"add: {len(id_list)} ids but {len(values)} values")
        keys = [self._key(v) for v in values]  # all validated before anything is stored
        for key, ident in zip(keys, id_list, strict=True):
            self._delta.setdefault(key, []).append(ident)
        self._delta_rows += len(keys)
        if self._delta_rows > max(MIN_DELTA, len(self._keys) // 4):
            self._merge()

    def add_keys(self, ids: npt.ArrayLike, keys: npt.NDArray[np.bytes_]) -> None:
        """Add many (id, key) pairs at once: ``keys`` already fixed-width bytes (``S<width>``), as read
        in bulk from the store. One sort for all of them, instead of a dict entry each."""
        id_array = np.asarray(ids, dtype=np.int64).reshape(-1)
        key_array = np.asarray(keys)
        if key_array.dtype != self._keys.dtype or len(key_array) != len(id_array):
            raise ValueError(f"add_keys: {len(id_array)} ids and {len(key_array)} keys of {key_array.dtype}")
        if not len(id_array):
            return
        self._merge()
        keys_all = np.concatenate([self._keys[self._alive], key_array])
        ids_all = np.concatenate([self._ids[self._alive], id_array])
        order = np.argsort(keys_all, kind="stable")
        self._keys, self._ids = keys_all[order], ids_all[order]
        self._alive = np.ones(len(self._keys), dtype=np.bool_)

    def remove(self, ids: Sequence[int] | npt.ArrayLike) -> int:
        """Forget every value carried by one of ``ids``; returns how many (id, value) pairs went."""
        targets = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
        hit = np.isin(self._ids, targets) & self._alive
        removed = int(np.count_nonzero(hit))
        self._alive[hit] = False
        wanted = set(targets.tolist())
        for key in list(self._delta):
            kept = [i for i in self._delta[key] if i not in wanted]
            removed += len(self._delta[key]) - len(kept)
            self._delta_rows -= len(self._delta[key]) - len(kept)
            if kept:
                self._delta[key] = kept
            else:
                del self._delta[key]
        return removed

    def lookup(self, value: str | bytes) -> IdArray:
        """Ids carrying exactly ``value``, ascending (empty when none)."""
        key = self._key(value)
        probe = np.array([key], dtype=self._keys.dtype)
        lo = int(np.searchsorted(self._keys, probe, side="left")[0])
        hi = int(np.searchsorted(self._keys, probe, side="right")[0])
        found = self._ids[lo:hi][self._alive[lo:hi]]
        extra = self._delta.get(key)
        if extra:
            found = np.concatenate([found, np.asarray(extra, dtype=np.int64)])
        return np.unique(found)

    def lookup_many(self, values: Sequence[str | bytes]) -> list[IdArray]:
        return [self.lookup(v) for v in values]

    def _merge(self) -> None:
        keep = self._alive
        extra_keys = [k for k, idents in self._delta.items() for _ in idents]
        extra_ids = [i for idents in self._delta.values() for i in idents]
        keys = np.concatenate([self._keys[keep], np.array(extra_keys, dtype=self._keys.dtype)])
        ids = np.concatenate([self._ids[keep], np.array(extra_ids, dtype=np.int64)])
        order = np.argsort(keys, kind="stable")
        self._keys, self._ids = keys[order], ids[order]
        self._alive = np.ones(len(keys), dtype=np.bool_)
        self._delta, self._delta_rows = {}, 0

    def save(self, directory: str | os.PathLike[str]) -> None:
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        self._merge()
        np.save(root / f"{self.signal}.keys.npy", self._keys, allow_pickle=False)
        np.save(root / f"{self.signal}.ids.npy", self._ids, allow_pickle=False)
        manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "signal": self.signal,
                    "rows": len(self._keys)}  # fmt: skip
        tmp = root / f"{self.signal}.manifest.json.tmp"
        tmp.write_text(json.dumps(manifest), encoding="utf-8")
        os.replace(tmp, root / f"{self.signal}.manifest.json")

    @classmethod
    def load(cls, directory: str | os.PathLike[str], signal: str) -> ExactIndex:
        root = Path(directory)
        index = cls(signal)
        path = root / f"{signal}.manifest.json"
        try:
            manifest: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexFormatError(f"{path}: no {signal} index here (manifest missing)") from None
        except (OSError, ValueError) as err:
            raise IndexFormatError(f"{path}: unreadable manifest: {err}") from None
        if not (
            isinstance(manifest, dict)
            and manifest.get("format") == FORMAT_NAME
            and manifest.get("version") == FORMAT_VERSION
            and manifest.get("signal") == signal
            and isinstance(manifest.get("rows"), int)
        ):
            raise IndexFormatError(f"{path}: not a version {FORMAT_VERSION} {signal} exact index")
        rows = int(manifest["rows"])
        arrays = {}
        for field, dtype in (("keys", np.dtype(f"S{index.width}")), ("ids", np.dtype(np.int64))):
            file = root / f"{signal}.{field}.npy"
            try:
                arr = np.load(file, allow_pickle=False)
            except (OSError, ValueError) as err:
                raise IndexFormatError(f"{file}: cannot read index array: {err}") from None
            if arr.dtype != dtype or arr.shape != (rows,):
                raise IndexFormatError(f"{file}: is {arr.dtype}{arr.shape}, expected {dtype}({rows},)")
            arrays[field] = arr
        if rows > 1 and bool(np.any(arrays["keys"][1:] < arrays["keys"][:-1])):
            raise IndexFormatError(f"{root / f'{signal}.keys.npy'}: keys are not sorted (rebuild the index)")
        index._keys, index._ids = arrays["keys"], arrays["ids"]
        index._alive = np.ones(rows, dtype=np.bool_)
        return index
