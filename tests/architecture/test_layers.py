"""The layering contract in pyproject.toml holds, and it would catch an import that breaks a layer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=src.parent, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("layers") / "src"
    shutil.copytree(ROOT / "src" / "netsafe", src / "netsafe", ignore=shutil.ignore_patterns("__pycache__"))
    return src


def test_the_code_keeps_its_layers(source_copy: Path) -> None:
    result = _lint(source_copy)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("module", "bad_import"),
    [
        ("signals/codecs.py", "import netsafe.store.db"),  # the lowest layer reaching up
        ("matching/pdq_index.py", "import netsafe.hashsets.model"),  # two independent siblings
        ("store/models.py", "import netsafe.accounts.models"),  # the store importing a table above it
        ("services/hashsets.py", "import netsafe.web.errors"),  # a service reaching for a door
        ("web/api/hashsets.py", "import netsafe.store.repositories"),  # a door around the service
    ],
)
def test_an_import_that_breaks_a_layer_fails_the_lint(
    source_copy: Path, module: str, bad_import: str
) -> None:
    target = source_copy / "netsafe" / module
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original + f"\n{bad_import}  # noqa\n", encoding="utf-8")
        result = _lint(source_copy)
    finally:
        target.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout.upper()
    assert bad_import.rsplit(maxsplit=1)[-1].rsplit(".", 1)[0] in result.stdout
