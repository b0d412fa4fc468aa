"""The result of hashing one file, and its JSON form (the contract of ``netsafe hash --json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netsafe.signals.defaults import QUALITY_THRESHOLD
from netsafe.signals.frames import VpdqFrame

JSON_FIELDS = (
    "path",
    "size",
    "kind",
    "mime",
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "pdq_quality",
    "pdq_low_quality",
    "pdq_dihedral",
    "vpdq",
    "error",
)


@dataclass(slots=True)
class FileRecord:
    path: str
    size: int | None = None
    kind: str | None = None
    mime: str | None = None
    digests: dict[str, str] = field(default_factory=dict)
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_dihedral: list[str] | None = None
    vpdq: list[VpdqFrame] | None = None
    error: str | None = None

    @property
    def pdq_low_quality(self) -> bool | None:
        return None if self.pdq_quality is None else self.pdq_quality < QUALITY_THRESHOLD

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "kind": self.kind,
            "mime": self.mime,
            "md5": self.digests.get("md5"),
            "sha1": self.digests.get("sha1"),
            "sha256": self.digests.get("sha256"),
            "pdq": self.pdq,
            "pdq_quality": self.pdq_quality,
            "pdq_low_quality": self.pdq_low_quality,
            "pdq_dihedral": self.pdq_dihedral,
            "vpdq": None if self.vpdq is None else [f.as_dict() for f in self.vpdq],
            "error": self.error,
        }
