"""Help and usage errors read as a manual, not as Python: no type placeholders, one error style, exit 2."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from netsafe.cli import app

# <bool>, <list[Path]>, <int range>, {paths}, ``literal`` and Sphinx roles: all leaked implementation.
PLACEHOLDER = re.compile(r"<[a-z][\w\[\], ]*>|\{\w+\}|``|:(class|func|meth|mod|attr):|list\[")


def _commands(cmd: object, path: list[str]) -> Iterator[list[str]]:
    yield path
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield from _commands(sub, [*path, name])


COMMANDS = list(_commands(typer.main.get_command(app), []))


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "netsafe")
def test_help_has_no_placeholders(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    leaks = [line.strip() for line in result.output.splitlines() if PLACEHOLDER.search(line)]
    assert not leaks


def test_flags_show_no_value_and_options_show_one() -> None:
    result = CliRunner().invoke(app, ["scan", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    rows = [line for line in result.output.splitlines() if line.startswith("│ ") and "--" in line]
    lines = {next(w for w in line.split() if w.startswith("--")): line for line in rows}
    assert "--resume" in lines and re.search(r"--resume\s+Finish", lines["--resume"])
    assert re.search(r"--out\s+-o\s+PATH", lines["--out"]) and "SOURCE" in result.output


@pytest.mark.parametrize(
    ("args", "command", "fragment"),
    [
        (["scan"], "netsafe scan", "Missing argument"),
        (["scan", ".", "--no-such-option"], "netsafe scan", "No such option: --no-such-option"),
        (["match", "--max-distance", "many", "x.jpg"], "netsafe match", "'--max-distance'"),
        (["hashset", "import"], "netsafe hashset import", "Missing argument"),
        (["no-such-command"], "netsafe", "No such command"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], command: str, fragment: str) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"{command}: error: ") and fragment in line
    assert line.endswith(f"(see '{command} --help')")


CHILD = """
import sys
import netsafe.cli.user_cmd as user_cmd
real = user_cmd.read_password
def announced(*args, **kwargs):
    print("waiting for the password", file=sys.stderr, flush=True)
    return real(*args, **kwargs)
user_cmd.read_password = announced
sys.argv = ["netsafe", "user", "add", "somebody", "--role", "analyst"]
from netsafe.cli import main
main()
"""


def test_ctrl_c_while_a_command_waits_exits_130(tmp_path: Path) -> None:
    """A command waiting for input (a password) and interrupted: one line, status 130."""
    env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{tmp_path / 'netsafe.db'}"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == "waiting for the password"
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 130, rest
    [line] = rest.strip().splitlines()
    assert line == "netsafe user add: error: interrupted (Ctrl-C): nothing unfinished was stored"
