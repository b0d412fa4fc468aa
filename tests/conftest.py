"""Shared fixtures: paths to the benign reference media and generated images."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference media missing at {REFERENCE} (shared/ must sit beside the repository)")
    return REFERENCE


@pytest.fixture(scope="session")
def expected_pdq(reference: Path) -> dict[str, str]:
    with open(reference / "pdq" / "expected.csv", newline="") as fh:
        return {row["path"]: row["pdq"] for row in csv.DictReader(fh)}
