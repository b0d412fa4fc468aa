"""Shared fixtures: paths to the benign reference media and generated images."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

# Benign media with hashes from Meta's reference implementations, copied into the repository with their
# licence (data/reference/LICENSE) so that a plain clone runs its tests.
REFERENCE = Path(__file__).resolve().parent / "data" / "reference"


@pytest.fixture(scope="session")
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference media missing at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def expected_pdq(reference: Path) -> dict[str, str]:
    with open(reference / "pdq" / "expected.csv", newline="") as fh:
        return {row["path"]: row["pdq"] for row in csv.DictReader(fh)}
