"""A command-line import yields the CPU to a service on the same machine (issue 18 item 4), and only when
it is the `netsafe` process itself: a program or test calling the CLI in-process keeps its priority."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.cli import app

LIST = "pdq " + "ab" * 32 + "\n"


def test_the_netsafe_command_imports_at_a_lower_priority(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(LIST)
    # The command's own process: after the import (same code path), its niceness has gone up.
    code = (
        "import os, sys; from netsafe.cli import main; base = os.nice(0); sys.argv[1:] = sys.argv[2:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(os.nice(0) - base, file=sys.stderr)"
    )
    env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", code, "x", "hashset", "import", str(listing), "--name", "bank"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.stderr.strip().splitlines()[-1] == "10", done.stderr


def test_an_in_process_call_keeps_the_callers_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(LIST)
    monkeypatch.setenv("NETSAFE_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    before = os.nice(0)
    result = CliRunner().invoke(app, ["hashset", "import", str(listing), "--name", "bank"])
    assert result.exit_code == 0, result.output
    assert os.nice(0) == before
