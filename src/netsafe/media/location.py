"""Where a media item was found: a chain of steps from the evidence on the examiner's machine inwards.

``/cases/7/usb.E01 > partition 1 (fat16 @ 1048576) > /DCIM/x.zip > zip:photos/b.tar.gz > tar.gz:b.jpg``

The string form is for people; the JSON form (a list of objects) is exact and round-trips, so a report or a
checkpoint can name an item unambiguously even when names contain ``>`` or odd characters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from netsafe.textsafe import exact_hex, from_hex, is_exact_utf8, readable, utf8_safe

StepKind = Literal["file", "partition", "path", "member"]
_KINDS: frozenset[str] = frozenset({"file", "partition", "path", "member"})


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of a location.

    * ``file``: a path on the examiner's machine (``name``).
    * ``partition``: a file system inside a disk image: ``index`` is the partition's number in the
      partition table (``None`` when the file system fills the image), ``offset`` its first byte, ``fs``
      the file-system type, ``image`` how the disk was stored (``raw``, ``split``, ``e01``).
    * ``path``: a path inside that file system; ``inode`` is the file system's own address of the file,
      which tells apart a deleted file from a live one with the same name.
    * ``member``: a member of an archive; ``archive`` is the kind of archive it was read from.
    """

    kind: StepKind
    name: str = ""
    index: int | None = None
    offset: int | None = None
    fs: str | None = None
    image: str | None = None
    inode: int | None = None
    archive: str | None = None

    def __str__(self) -> str:
        return self.text(readable)

    def text(self, show: Callable[[str], str]) -> str:
        """The string form with names passed through ``show`` (readable for people, or as they are)."""
        if self.kind == "partition":
            where = f"{self.fs or 'unknown'} @ {self.offset or 0}"
            if self.index is None:
                return f"file system ({where})"
            return f"partition {self.index} ({where})"
        if self.kind == "member":
            return f"{self.archive}:{show(self.name)}"
        return show(self.name)

    def to_json(self) -> dict[str, Any]:
        """Valid Unicode whatever the name: a name that is not UTF-8 is escaped (``\\xff``) and its exact
        bytes kept in ``name_bytes_hex``, from which :meth:`from_json` gives the original name back."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind != "partition" or self.name:
            out["name"] = utf8_safe(self.name)  # for a partition: the partition table's description of it
            if not is_exact_utf8(self.name):
                out["name_bytes_hex"] = exact_hex(self.name)
        for key in ("index", "offset", "fs", "image", "inode", "archive"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        kind = data.get("kind")
        if kind not in _KINDS:
            raise ValueError(f"location step: unknown kind {kind!r} (expected one of {sorted(_KINDS)})")
        unknown = set(data) - {
            "kind",
            "name",
            "name_bytes_hex",
            "index",
            "offset",
            "fs",
            "image",
            "inode",
            "archive",
        }
        if unknown:
            raise ValueError(f"location step: unknown field(s) {sorted(unknown)}")
        hex_name = _opt_str(data, "name_bytes_hex")
        try:
            name = str(data.get("name", "")) if hex_name is None else from_hex(hex_name)
        except ValueError:
            raise ValueError("location step: name_bytes_hex is not hexadecimal") from None
        return cls(
            kind=kind,
            name=name,
            index=_opt_int(data, "index"),
            offset=_opt_int(data, "offset"),
            fs=_opt_str(data, "fs"),
            image=_opt_str(data, "image"),
            inode=_opt_int(data, "inode"),
            archive=_opt_str(data, "archive"),
        )


def _opt_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"location step: field {key!r} must be an integer, got {value!r}")
    return value


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"location step: field {key!r} must be a string, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Location:
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @classmethod
    def file(cls, path: str) -> Location:
        return cls((Step("file", path),))

    def child(self, step: Step) -> Location:
        return Location((*self.steps, step))

    def member(self, name: str, archive: str) -> Location:
        return self.child(Step("member", name, archive=archive))

    @property
    def depth(self) -> int:
        """How many archives and disk images deep this location is."""
        return sum(1 for s in self.steps if s.kind in ("member", "partition"))

    @property
    def name(self) -> str:
        """The last name in the chain (file, path or member), for display."""
        for step in reversed(self.steps):
            if step.kind != "partition":
                return step.name
        return ""

    def __str__(self) -> str:
        return " > ".join(str(s) for s in self.steps)

    def exact_hex(self) -> str | None:
        """When the string form had to escape something (bytes that are not UTF-8, control characters):
        that string with every name as it really is, as UTF-8 (undecodable bytes as they were) in hex."""
        raw = " > ".join(s.text(str) for s in self.steps)
        return None if raw == str(self) else exact_hex(raw)

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.steps]

    @classmethod
    def from_json(cls, data: Any) -> Location:
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise ValueError("location: expected a list of step objects")
        return cls(tuple(Step.from_json(d) for d in data))
