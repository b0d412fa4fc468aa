"""What a source yields: media items (bytes plus where they came from) and issues (what went wrong where)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from netsafe.media.location import Location

IssueCode = Literal[
    "unreadable",  # cannot open or read a file or folder
    "too-large",  # item bigger than Limits.max_file_size
    "special-file",  # device, FIFO or socket: never opened
    "symlink",  # symbolic link not followed (Limits.follow_symlinks is off)
    "symlink-loop",  # link or folder chain that leads back into itself
    "zip-bomb",  # expansion past Limits.max_expanded_size or Limits.max_ratio
    "too-deep",  # containers past Limits.max_depth (kept, not opened) or folders past max_fs_depth
    "too-many-members",  # archive with more than Limits.max_members members
    "unsafe-path",  # member name absolute or with "..": content still scanned, never written anywhere
    "encrypted",  # password-protected archive or member
    "corrupt-archive",  # archive that cannot be read (truncated, bad checksum, unsupported method)
    "corrupt-filesystem",  # disk image whose partitions or file system cannot be read
]


@dataclass(frozen=True, slots=True)
class FileTimes:
    """File-system timestamps as POSIX seconds (UTC), ``None`` where the source does not record them.

    Zip stores local time without a zone; it is reported as if it were UTC.
    """

    modified: float | None = None
    accessed: float | None = None
    changed: float | None = None
    created: float | None = None

    def to_json(self) -> dict[str, float]:
        return {
            k: v
            for k, v in (
                ("modified", self.modified),
                ("accessed", self.accessed),
                ("changed", self.changed),
                ("created", self.created),
            )
            if v is not None
        }


@dataclass(slots=True)
class MediaItem:
    """One file found in the evidence.

    ``open()`` returns a fresh read-only binary stream (seekable) each call, valid as long as the item is
    referenced. ``host_path`` is set when the item is a plain file on the examiner's machine, so callers
    can hand the path itself to decoders.
    """

    location: Location
    size: int
    opener: Callable[[], BinaryIO] = field(repr=False)
    deleted: bool = False
    times: FileTimes = field(default_factory=FileTimes)
    host_path: str | None = None

    def open(self) -> BinaryIO:
        return self.opener()

    def read_bytes(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"location": self.location.to_json(), "size": self.size}
        if self.deleted:
            out["deleted"] = True
        times = self.times.to_json()
        if times:
            out["times"] = times
        return out


@dataclass(frozen=True, slots=True)
class SourceIssue:
    """A problem at one location; never fatal. ``message`` is one line for the report's errors."""

    location: Location
    code: IssueCode
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"location": self.location.to_json(), "code": self.code, "message": self.message}


def bytes_opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)
