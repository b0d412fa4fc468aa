"""Safety limits for walking untrusted evidence, and the accounting that enforces them while streaming.

Every limit is configurable and none stops a scan: crossing one becomes a :class:`SourceIssue` at the
location where it happened, and the walk carries on with the next item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from netsafe.media.item import IssueCode

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class Limits:
    # Items bigger than this are reported (``too-large``) and not yielded.
    max_file_size: int = 16 * GiB
    # Archives and disk images inside each other, counted from the evidence (a zip in a zip is depth 2).
    max_depth: int = 10
    # Bytes all archive layers below one outermost archive may produce together (zip-bomb guard).
    max_expanded_size: int = 32 * GiB
    # Bytes one archive layer may produce per byte of its own input, once it has produced ratio_grace bytes.
    max_ratio: float = 200.0
    ratio_grace: int = 16 * MiB
    # Members of one archive; more are reported (``too-many-members``) and skipped.
    max_members: int = 1_000_000
    # Archive members up to this size are kept in memory; bigger ones go to a private temporary file.
    max_member_in_memory: int = 64 * MiB
    # Follow symbolic links in folders (never outside loops: each folder is entered once).
    follow_symlinks: bool = False
    # Folder nesting, in folders and in file-system images: deeper trees (hostile or corrupt) are cut off.
    max_fs_depth: int = 256
    # Seconds The Sleuth Kit may spend on a disk image without listing anything: a damaged file system
    # can keep it busy in C for minutes; past this its walker process is stopped and the rest of that
    # file system reported as not listed (``corrupt-filesystem``). A healthy walk is never silent this long.
    fs_stall_seconds: float = 20.0


class LimitError(Exception):
    """A limit was crossed while reading; ``code`` is the issue code to report."""

    def __init__(self, code: IssueCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Budget:
    """Expanded bytes shared by every archive layer under one outermost archive.

    The ratio limit also applies to the whole nest: a nested bomb (42.zip: each layer compresses ~16 small
    archives, only the innermost are huge) stays under the ratio layer by layer until its leaves, and then
    each of its thousands of leaves would be read up to the limit, one after another (minutes, and up to
    max_expanded_size). Once any layer breaks a limit the budget stays spent: every enclosing layer stops at
    its next read, so one bomb costs one archive's worth of reading.
    """

    __slots__ = ("expanded", "input_size", "limits", "spent")

    def __init__(self, limits: Limits, input_size: int = 0) -> None:
        self.limits = limits
        self.input_size = max(input_size, 1)  # the outermost archive's own size (0: no nest-wide ratio)
        self.expanded = 0
        self.spent: LimitError | None = None

    def add(self, n: int) -> None:
        if self.spent is not None:
            raise self.spent
        self.expanded += n
        limits = self.limits
        if self.expanded > limits.max_expanded_size:
            self.spend(
                LimitError(
                    "zip-bomb",
                    f"archive expands past the {_size(limits.max_expanded_size)} limit "
                    "(max_expanded_size): rest of the archive skipped",
                )
            )
        if (
            self.input_size > 1
            and self.expanded > limits.ratio_grace
            and self.expanded > limits.max_ratio * self.input_size
        ):
            self.spend(
                LimitError(
                    "zip-bomb",
                    f"archives nested in this one expand more than {limits.max_ratio:g}x its size "
                    f"({_size(self.input_size)} -> over {_size(self.expanded)}, max_ratio): "
                    "rest of the archive skipped",
                )
            )

    def spend(self, err: LimitError) -> NoReturn:
        self.spent = err
        raise err


class Layer:
    """The bytes one archive layer produced from its input, for the ratio limit."""

    __slots__ = ("budget", "input_size", "produced")

    def __init__(self, budget: Budget, input_size: int) -> None:
        self.budget = budget
        self.input_size = max(input_size, 1)
        self.produced = 0

    def add(self, n: int) -> None:
        self.produced += n
        self.budget.add(n)
        limits = self.budget.limits
        if self.produced > limits.ratio_grace and self.produced > limits.max_ratio * self.input_size:
            self.budget.spend(
                LimitError(
                    "zip-bomb",
                    f"archive expands more than {limits.max_ratio:g}x its size "
                    f"({_size(self.input_size)} -> over {_size(self.produced)}, max_ratio): "
                    "rest of the archive skipped",
                )
            )


def _size(n: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
