"""The scan's progress bar on stderr: files, bytes, files/s, MB/s, matches so far, errors and ETA.

The walk streams (nothing is listed up front), so the ETA comes from the bytes of the files on the
examiner's machine, counted by a background thread while the scan already runs; archive members and
disk-image contents are extra work inside those bytes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from netsafe.triage.pipeline import Progress as Counters


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB"


class _Counts(ProgressColumn):
    def render(self, task: Task) -> Text:
        f = task.fields
        if "tasks" in f:  # one worker of a cluster scan: its rates over the seconds it was busy
            busy = max(f["seconds"], 1e-6)
            return Text(
                f"{f['tasks']:,} batches  {f['files']:,} files  {_mb(f['bytes'])}  "
                f"{f['files'] / busy:,.1f} files/s  {f['bytes'] / busy / 1e6:,.1f} MB/s",
                style="dim cyan",
            )
        elapsed = max(time.monotonic() - f["t0"], 1e-6)
        text = (
            f"{f['files']:,} files  {_mb(f['bytes'])}  {f['files'] / elapsed:,.1f} files/s  "
            f"{f['bytes'] / elapsed / 1e6:,.1f} MB/s  "
        )
        out = Text(text, style="cyan")
        out.append(f"{f['matched']:,} files matched", style="bold red" if f["matched"] else "green")
        out.append(f"  {f['errors']:,} errors", style="yellow" if f["errors"] else "")
        return out


def host_bytes(paths: list[str]) -> int:
    """Bytes of the regular files under ``paths`` (links not followed), for the ETA."""
    total = 0
    for path in paths:
        try:
            if os.path.isfile(path):
                total += os.path.getsize(path)
                continue
            for root, _dirs, files in os.walk(path):
                for name in files:
                    try:
                        st = os.lstat(os.path.join(root, name))
                    except OSError:
                        continue
                    if st.st_mode & 0o170000 == 0o100000:
                        total += st.st_size
        except OSError:
            continue
    return total


class ScanProgress:
    def __init__(self, sources: list[str], enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            _Counts(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not self.enabled,
        )
        self._task: TaskID = self._progress.add_task(
            "scanning", total=None, files=0, bytes=0, matched=0, errors=0, t0=time.monotonic()
        )
        self._sources = sources
        self._host_done = 0
        self._last = 0.0
        self._counters: Counters | None = None
        self._workers: dict[str, TaskID] = {}
        if self.enabled:
            threading.Thread(target=self._count, daemon=True).start()

    def _count(self) -> None:
        self._progress.update(self._task, total=max(1, host_bytes(self._sources)))

    def __enter__(self) -> ScanProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._counters is not None:
            self._draw(self._counters)
        self._progress.stop()

    def update(self, counters: Counters) -> None:
        self._counters = counters
        now = time.monotonic()
        if now - self._last < 0.1:  # redraw at most ten times a second
            return
        self._last = now
        self._draw(counters)

    def update_worker(self, address: str, done: Any) -> None:
        """A worker's totals (netsafe.triage.cluster_run.WorkerProgress), one line per worker."""
        fields = {"tasks": done.tasks, "files": done.files, "bytes": done.bytes, "seconds": done.seconds}
        task = self._workers.get(address)
        if task is None:
            self._workers[address] = self._progress.add_task(f"  {address}", total=None, **fields)
        else:
            self._progress.update(task, **fields)

    def _draw(self, counters: Counters) -> None:
        self._progress.update(
            self._task,
            completed=counters.host_bytes,
            files=counters.files,
            bytes=counters.bytes,
            matched=counters.matched,
            errors=counters.errors,
        )
