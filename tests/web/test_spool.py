"""Uploaded hash lists are spooled in folders named by their process; a server killed with kill -9 leaves
them behind, and the next start removes those of processes that are gone (issue 18, item 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from netsafe.web import spool


def test_the_folders_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    left = tmp_path / f"netsafe-import-{dead_pid}-abc123"
    (left / "upload.json").parent.mkdir()
    (left / "upload.json").write_text("[]")
    mine = tmp_path / f"netsafe-export-{os.getpid()}-def456"
    mine.mkdir()
    older = tmp_path / "netsafe-import-q1w2e3"  # named before the pid was part of the name
    older.mkdir()
    other = tmp_path / "netsafe-spill-xyz"  # not an upload folder
    other.mkdir()
    removed = spool.remove_stale(str(tmp_path))
    assert sorted(removed) == sorted([left, older])
    assert not left.exists() and not older.exists()
    assert mine.exists() and other.exists()


def test_a_new_spool_folder_carries_the_pid() -> None:
    folder = Path(spool.make("import"))
    try:
        assert folder.name.startswith(f"netsafe-import-{os.getpid()}-")
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        spool.remove_stale(str(folder.parent))
        assert folder.exists()  # this process is alive: its folder stays
    finally:
        folder.rmdir()


def test_a_killed_server_leaves_nothing_for_long(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = (
        "import os, time; from netsafe.web import spool; f = spool.make('import');"
        "open(os.path.join(f, 'upload.json'), 'w').write('[]'); print(f, flush=True); time.sleep(60)"
    )
    server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    folder = Path(server.stdout.readline().strip())
    assert folder.is_dir()
    server.kill()  # kill -9: no cleanup runs
    server.wait(timeout=10)
    assert folder.is_dir()
    assert spool.remove_stale(str(tmp_path)) == [folder]
    assert not folder.exists()
