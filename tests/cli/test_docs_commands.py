"""The README's "Five minutes" block and docs/triage.md's walk-through, run as pasted into a fresh clone.

Each block runs in bash with -e (a command that fails fails the test), from a folder standing in for the
clone, with `make` and `netsafe` on the PATH (`make install` has been done: netsafe is this checkout), its
own HOME and TMPDIR, and no NETSAFE_* setting of the caller's. Then what the text says about the result
is checked against the report it wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def shell_block(doc: Path, heading: str) -> str:
    """The first ```sh block after ``heading`` in ``doc``."""
    text = doc.read_text("utf-8")
    start = text.index(heading)
    found = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert found, f"no sh block after {heading!r} in {doc.name}"
    return found.group(1)


def run_block(block: str, tmp_path: Path) -> Path:
    """Run ``block``; returns the scratch folder it made with mktemp -d (where its report is)."""
    clone, tools, home = (tmp_path / n for n in ("clone", "tools", "home"))
    for folder in (clone, tools, home):
        folder.mkdir()
    # A short TMPDIR: multiprocessing's forkserver puts a socket there, and a socket's path is <108 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="nsdoc-"))
    # `make install` is what this test environment already did; any other make target is not in a block.
    (tools / "make").write_text(
        '#!/bin/sh\n[ "$1" = install ] && exit 0\necho "make $*: not here" >&2\nexit 1\n'
    )
    (tools / "netsafe").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m netsafe "$@"\n')
    (tools / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    for tool in tools.iterdir():
        tool.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETSAFE_")}
    env.update(
        PATH=f"{tools}:/usr/local/bin:/usr/bin:/bin",
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        TMPDIR=str(scratch),
        COLUMNS="120",
    )
    try:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"the block broke:\n{done.stderr[-3000:]}"
        [made] = [p for p in scratch.iterdir() if p.is_dir() and (p / "case-001").is_dir()]
        kept = tmp_path / "scratch"
        shutil.move(str(made), kept)  # into pytest's own temporary folder, which it cleans up
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return kept


def report(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "case-001" / "report.json").read_text("utf-8"))
    return data


@pytest.mark.slow
def test_readme_five_minutes_block_runs_as_pasted(tmp_path: Path) -> None:
    block = shell_block(ROOT / "README.md", "## Five minutes")
    folder = run_block(block, tmp_path)
    got = report(folder)
    assert (got["scan"]["case"], got["scan"]["exhibit"]) == ("OP-1", "EX-1")
    assert got["summary"]["matched_items"] == 1
    assert (folder / "case-001" / "report.pdf").is_file()


@pytest.mark.slow
def test_triage_walkthrough_runs_as_pasted_and_says_what_it_gives(tmp_path: Path) -> None:
    doc = ROOT / "docs" / "triage.md"
    folder = run_block(shell_block(doc, "## From install to a report"), tmp_path)
    summary = report(folder)["summary"]
    text = doc.read_text("utf-8")
    said = re.search(r"The summary says (\d+) files, (\d+) distinct, (\d+) matched", text)
    assert said, "docs/triage.md no longer states the summary"
    files, distinct, matched = map(int, said.groups())
    assert (summary["files"], summary["items"], summary["matched_items"]) == (files, distinct, matched)
    assert summary["near_copies"] == 1
    # The charge table printed in the document is the one the scan gives.
    rows = re.findall(r"^\| ([A-Z][\w -]+?) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
    table = [
        (r["label"], r["images"], r["videos"], r["images"] + r["videos"], r["files"])
        for r in summary["charge"]
    ]
    assert [(label, *map(int, counts)) for label, *counts in rows] == table
    near = re.search(r"distance (\d+) \(pdq\): needs grading", text)
    [item] = [i for i in report(folder)["items"] if i["near_copy_of"]]
    assert near and int(near.group(1)) == item["near_copy_of"]["distance"]
