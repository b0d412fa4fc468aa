"""`netsafe demo` works the same in a fresh clone: generated samples by default, never ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.cli import app
from netsafe.samples import synthetic_photo

WIDE = {"COLUMNS": "250"}  # the table shows whole names


@pytest.fixture
def beside_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a ../shared/reference next to it, and a private data folder."""
    reference = tmp_path / "shared" / "reference"
    reference.mkdir(parents=True)
    synthetic_photo(9, 64, 48).save(reference / "from-shared.png")
    work = tmp_path / "clone"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return reference


def test_demo_hashes_generated_samples_even_beside_shared(beside_shared: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "netsafe hash: 7 files" in result.stdout
    assert "sample-0.jpg" in result.stdout and "sample-video.mp4" in result.stdout
    assert "from-shared" not in result.stdout
    assert (tmp_path / "data" / "netsafe" / "samples" / "sample-0.jpg").is_file()


def test_demo_hashes_a_folder_it_is_given(beside_shared: Path) -> None:
    result = CliRunner().invoke(app, ["demo", str(beside_shared)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "netsafe hash: 1 files" in result.stdout
    assert "from-shared.png" in result.stdout and "sample-0" not in result.stdout
