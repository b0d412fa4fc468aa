"""Private temporary folders for uploads and exports, named by the process that made them, so that a
server killed with ``kill -9`` leaves nothing behind for long: the next start removes every such folder
whose process is gone (uploaded hash lists are sensitive data)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

KINDS = ("import", "export")


def make(kind: str) -> str:
    """A new private folder ``netsafe-<kind>-<pid>-<random>`` in the temporary directory."""
    return tempfile.mkdtemp(prefix=f"netsafe-{kind}-{os.getpid()}-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: not ours to judge
        return True
    return True


def remove_stale(directory: str | None = None) -> list[Path]:
    """Remove the spool folders of processes that no longer run; returns what was removed."""
    root = Path(directory or tempfile.gettempdir())
    removed: list[Path] = []
    for kind in KINDS:
        for folder in root.glob(f"netsafe-{kind}-*"):
            parts = folder.name.split("-")
            # netsafe-<kind>-<pid>-<random>; folders from before the pid was in the name carry none.
            pid = int(parts[2]) if len(parts) >= 4 and parts[2].isdigit() else None
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            if pid is not None and _alive(pid):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
