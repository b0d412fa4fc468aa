"""A ``kill -9``'d scan leaves nothing running: not its decoder workers (~160 MB each), nor the forkserver,
nor multiprocessing's resource tracker."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from netsafe.store import open_database

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _group(pgid: int) -> dict[int, str]:
    """Live (not zombie) processes of process group ``pgid``: pid -> command line."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            found[int(entry)] = cmdline.replace(b"\0", b" ").decode(errors="replace")[:120]
    return found


def test_kill_9_leaves_no_process_behind(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(400):
        out = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(out, "JPEG")
        (src / f"{i:04d}.jpg").write_bytes(out.getvalue())
    url = f"sqlite:///{tmp_path / 'netsafe.db'}"
    open_database(url).dispose()
    env = {**os.environ, "NETSAFE_DATABASE_URL": url, "NETSAFE_INDEX_DIR": str(tmp_path / "indexes")}
    cmd = [sys.executable, "-m", "netsafe", "scan", str(src), "--out", str(tmp_path / "out"), "-q"]
    # Its own process group only so the test can find every process the scan started (and clean up).
    proc = subprocess.Popen([*cmd, "--workers", "2"], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_group(proc.pid)) < 5:  # the scan, resource tracker, forkserver, two decoder workers
            assert proc.poll() is None, "the scan ended before it could be killed"
            assert time.monotonic() < deadline, f"no decoder workers started: {_group(proc.pid)}"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the scan alone, as `kill -9 PID` does
        proc.wait()
        deadline = time.monotonic() + 5
        while (left := _group(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"still running after the scan was killed: {left}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
