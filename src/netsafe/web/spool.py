"""Private temporary folders for uploads and exports, named by the process that made them, so that a
server killed with ``kill -9`` leaves nothing behind for long: the next start removes every such folder
whose process is gone (uploaded hash lists are sensitive data)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

KINDS = ("import", "export")
MARK = ".netsafe-spool"
# Exactly what make() names (mkdtemp's suffix is 8 characters): a folder that only looks like it, such as
# a benchmark's netsafe-import-load-x3k or a user's own, is not the server's to delete.
_NAME = re.compile(r"netsafe-(?:import|export)-([0-9]{1,10})-[a-z0-9_]{8}")


def make(kind: str) -> str:
    """A new private folder ``netsafe-<kind>-<pid>-<random>`` in the temporary directory, marked as a
    spool folder so that only such folders are ever removed by ``remove_stale``."""
    folder = tempfile.mkdtemp(prefix=f"netsafe-{kind}-{os.getpid()}-")
    Path(folder, MARK).touch()
    return folder


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
            name = _NAME.fullmatch(folder.name)
            if name is None or not folder.is_dir() or folder.is_symlink():
                continue
            if folder.stat().st_uid != os.getuid() or not (folder / MARK).is_file():
                continue
            if _alive(int(name.group(1))):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
