"""Uploaded hash lists are spooled in folders named by their process; a server killed with kill -9 leaves
them behind, and the next start removes those of processes that are gone (issue 18, item 12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from netsafe.web import spool


def test_the_folders_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    left = tmp_path / f"netsafe-import-{dead_pid}-abc123xy"
    mine = tmp_path / f"netsafe-export-{os.getpid()}-def456xy"
    for folder in (left, mine):
        folder.mkdir()
        (folder / spool.MARK).touch()
    (left / "upload.json").write_text("[]")
    other = tmp_path / "netsafe-spill-xyz"  # not an upload folder
    other.mkdir()
    removed = spool.remove_stale(str(tmp_path))
    assert removed == [left]
    assert not left.exists()
    assert mine.exists() and other.exists()


def test_folders_that_only_look_like_spool_folders_are_never_removed(tmp_path: Path) -> None:
    """A benchmark's work folder netsafe-import-load-x3k9 (its store inside) was deleted by a server
    starting on the same machine: only folders make() made, with its mark, are the server's."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True
    )
    lookalikes = [
        tmp_path / "netsafe-import-load-x3k9abcd",  # a benchmark's work folder
        tmp_path / "netsafe-import-q1w2e3zz",  # no pid in the name
        tmp_path / f"netsafe-import-{dead.stdout.strip()}-nomark12",  # the right name, no mark
        tmp_path / f"netsafe-export-{dead.stdout.strip()}-toolongsuffix",
    ]
    for folder in lookalikes:
        folder.mkdir()
        (folder / "store.sqlite").write_text("precious")
    (lookalikes[3] / spool.MARK).touch()
    assert spool.remove_stale(str(tmp_path)) == []
    assert all((folder / "store.sqlite").is_file() for folder in lookalikes)


def test_a_new_spool_folder_carries_the_pid() -> None:
    folder = Path(spool.make("import"))
    try:
        assert folder.name.startswith(f"netsafe-import-{os.getpid()}-")
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        spool.remove_stale(str(folder.parent))
        assert folder.exists()  # this process is alive: its folder stays
    finally:
        shutil.rmtree(folder)


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
