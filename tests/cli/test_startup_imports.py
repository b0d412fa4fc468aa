"""The command line starts without loading what it does not use (issue 16 §3).

Structural, not timed: `python -X importtime` lists every module a run imported, and the heavy ones
(the store, the web service, the decoders, the numba kernels) must not be among them for `--help` or a
digest-only `hash`. A timing assertion would fail on a loaded machine; an import that creeps back in does
not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import netsafe

# Each costs 0.05-0.5 s to import; none is needed to print help or an MD5.
HEAVY = frozenset(
    {"numba", "sqlalchemy", "fastapi", "starlette", "uvicorn", "av", "weasyprint", "httpx", "cryptography",
     "PIL", "numpy", "psycopg", "distributed", "dask", "py7zr"}
)  # fmt: skip
SRC = str(Path(netsafe.__file__).resolve().parents[1])


def _imported(*args: str, cwd: Path) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "netsafe", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    assert "netsafe.cli" in names  # the run really was traced
    return names


def _heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if n.split(".")[0] in HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["hash", "--help"], ["scan", "--help"], ["hashset", "--help"]])
def test_help_imports_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    assert _heavy(_imported(*args, cwd=tmp_path)) == []


def test_top_level_help_imports_no_pydantic(tmp_path: Path) -> None:
    # 70 ms of `netsafe --help`'s 0.25 s target, once pulled in through the statistics' settings; a
    # command's own --help gets it from typer itself (typer._adapters), which netsafe cannot help.
    assert not [n for n in _imported("--help", cwd=tmp_path) if n.split(".")[0] == "pydantic"]


def test_hash_md5_of_an_image_imports_no_decoder(tmp_path: Path) -> None:
    Image.new("RGB", (64, 48), (200, 120, 40)).save(tmp_path / "one.jpg")
    names = _imported("hash", "one.jpg", "--signals", "md5", "--json", cwd=tmp_path)
    assert _heavy(names) == []


def test_every_help_page_imports_nothing_heavy(tmp_path: Path) -> None:
    # One process renders every command's --help in turn, so a heavy import at the top of any command
    # module, or in any option's default or help text, shows up here.
    code = (
        "import sys\n"
        "import typer.main\n"
        "from netsafe.cli import app\n"
        "def walk(cmd, path):\n"
        "    yield path\n"
        "    for name, sub in sorted(getattr(cmd, 'commands', {}).items()):\n"
        "        yield from walk(sub, [*path, name])\n"
        "root = typer.main.get_command(app)\n"
        "for path in walk(root, []):\n"
        "    try:\n"
        "        root.main([*path, '--help'], prog_name='netsafe', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    names = set(done.stderr.splitlines()[-1].split())
    assert "netsafe.cli.hotline_cmd" in names
    assert _heavy(names) == []


def test_the_light_defaults_are_the_ones_the_services_use() -> None:
    # The CLI reads these from light modules; the services keep their own names for them.
    from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE
    from netsafe.services.lookup import DEFAULT_DISTANCE, MAX_DISTANCE
    from netsafe.signals.types import REGISTRY

    assert REGISTRY["pdq"].default_threshold == DEFAULT_MAX_DISTANCE == DEFAULT_DISTANCE
    assert REGISTRY["pdq"].max_threshold == MAX_DISTANCE


def test_the_format_names_in_the_help_are_the_registry_s() -> None:
    from netsafe.cli.hashset_cmd import FORMAT_NAMES
    from netsafe.hashsets.formats import FORMATS

    assert ", ".join(FORMATS) == FORMAT_NAMES
