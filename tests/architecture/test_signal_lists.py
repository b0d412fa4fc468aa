"""Signal names are listed once, in the registry: a tuple, list or set of two or more signal names written
out anywhere else in the code is a second list that will drift (issue 10 found fifteen)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "netsafe"
NAMES = r"(?:md5|sha1|sha256|pdq|photodna|vpdq)"
# Two signal names quoted and separated only by a comma: the start of a hand-written list of signals.
LIST = re.compile(rf"""["']{NAMES}["']\s*,\s*["']{NAMES}["']""")


def test_no_module_but_the_registry_lists_signal_names() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "signals" / "types.py" or "migrations" in path.parts:
            continue  # the registry itself; migrations are history and must not change
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # A choice of some signals (a default, the columns a table shows) says so on its line.
            if LIST.search(line) and "# signal-list: ok" not in line:
                found.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert found == []


def test_the_check_finds_a_hand_written_list() -> None:
    assert LIST.search('EXACT = ("md5", "sha1", "sha256")')
    assert not LIST.search('"md5": ("md5", "md5hash")')
