"""A progress bar on stderr (files, files/s, MB/s, ETA), shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from netsafe.hashing.record import FileRecord


class _RateColumn(ProgressColumn):
    """files/s and MB/s over the whole run (steadier than Rich's sliding-window speed)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("")
        nbytes = float(task.fields.get("bytes", 0))
        return Text(
            f"{task.completed / elapsed:,.1f} files/s  {nbytes / elapsed / 1e6:,.1f} MB/s", style="cyan"
        )


class HashProgress:
    def __init__(self, total_files: int, total_bytes: int, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total_bytes = total_bytes
        self.bytes = 0
        self.errors = 0
        self.started = time.monotonic()
        self._progress = Progress(
            TextColumn("[bold]hashing"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("{task.fields[errors]} errors"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
            disable=not self.enabled,
        )
        self._task: TaskID = self._progress.add_task("hash", total=total_files, bytes=0, errors=0)

    def __enter__(self) -> HashProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def done(self, record: FileRecord) -> None:
        self.bytes += record.size or 0
        self.errors += record.error is not None
        self._progress.update(self._task, advance=1, bytes=self.bytes, errors=self.errors)
