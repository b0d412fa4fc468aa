"""``netsafe match`` against a hash set built from the benign reference photos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from netsafe.cli import app
from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.store.pytest_fixtures import database_url, postgres_server, postgres_store

__all__ = ["database_url", "postgres_server", "postgres_store"]

MATCH_KEYS = {"hashset", "entry_id", "signal", "distance", "category", "category_label"}


class Cli:
    def __init__(self, url: str, tmp: Path) -> None:
        self.env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_INDEX_DIR": str(tmp / "indexes")}
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Result:
        return self.runner.invoke(app, [str(a) for a in args], env=self.env)

    def json(self, *args: str | Path, code: int = 0) -> list[dict[str, Any]]:
        result = self(*args, "--json", "--workers", "1")
        assert result.exit_code == code, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def bridge(reference: Path) -> Path:
    return reference / "pdq" / "bridge-mods"


@pytest.fixture
def cli(database_url: str, tmp_path: Path, bridge: Path, reference: Path) -> Cli:
    """A store with set "ref" (vic-us): the original bridge photo by MD5 and PDQ, and an unrelated photo."""
    rows = ["media_id,md5,pdq,category"]
    for media_id, photo in (
        ("bridge", bridge / "aaa-orig.jpg"),
        ("other", reference / "pdq" / "misc" / "c.png"),
    ):
        record = hash_file(str(photo), HashOptions())
        rows.append(f"{media_id},{record.digests['md5']},{record.pdq},4")
    src = tmp_path / "ref.csv"
    src.write_text("\n".join(rows) + "\n")
    cli = Cli(database_url, tmp_path)
    result = cli("hashset", "import", src, "--name", "ref", "--profile", "vic-us")
    assert result.exit_code == 0, result.output
    return cli


def test_bridge_edits_match_the_original(cli: Cli, bridge: Path) -> None:
    results = cli.json("match", bridge)
    assert len(results) == 12
    bridge_id = {m["entry_id"] for r in results for m in r["matches"]}
    assert len(bridge_id) == 1  # every edit matches one entry, never the unrelated photo
    for obj in results:
        assert obj["query"] == obj["path"] and obj["error"] is None
        matches = obj["matches"]
        assert isinstance(matches, list) and matches, obj["path"]
        for m in matches:
            assert set(m) >= MATCH_KEYS
            assert m["hashset"] == "ref" and m["category"] == "4"
            assert m["category_label"] and m["category_label"] != "4"
            assert m["signal"] in ("pdq", "md5") and 0 <= m["distance"] <= 31
        signals = {m["signal"] for m in matches}
        assert signals == ({"md5", "pdq"} if str(obj["path"]).endswith("aaa-orig.jpg") else {"pdq"})


def test_rotated_copy_matches_only_with_dihedral(cli: Cli, bridge: Path, tmp_path: Path) -> None:
    rotated = tmp_path / "rotated.png"
    Image.open(bridge / "aaa-orig.jpg").transpose(Image.Transpose.ROTATE_90).save(rotated)
    [plain] = cli.json("match", rotated)
    assert plain["matches"] == []
    [turned] = cli.json("match", rotated, "--dihedral")
    [hit] = turned["matches"]
    assert hit["signal"] == "pdq" and hit["distance"] <= 31 and hit["transform"] != "original"


def test_hashes_given_by_hand_and_thresholds(cli: Cli, bridge: Path) -> None:
    record = hash_file(str(bridge / "sharpen-a-lot.jpg"), HashOptions())
    assert record.pdq is not None
    [near] = cli.json("match", "--hash", f"pdq:{record.pdq}")
    [hit] = near["matches"]
    assert near["path"] is None and near["query"] == f"pdq:{record.pdq}"
    assert 0 < hit["distance"] <= 31
    [strict] = cli.json("match", "--hash", f"pdq:{record.pdq}", "--max-distance", str(hit["distance"] - 1))
    assert strict["matches"] == []
    [own] = cli.json("match", "--hash", f"pdq:{record.pdq}", "--hashset", f"ref:{hit['distance'] - 1}")
    assert own["matches"] == []
    [bare] = cli.json("match", "--hash", record.pdq)  # 64 hex: tried as SHA-256 and as PDQ
    assert [m["signal"] for m in bare["matches"]] == ["pdq"]


def test_only_named_hash_sets_are_searched(cli: Cli, bridge: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.md5"
    other.write_text("0" * 32 + "  nothing\n")
    assert cli("hashset", "import", other, "--name", "empty-ish").exit_code == 0
    [obj] = cli.json("match", bridge / "aaa-orig.jpg", "--hashset", "empty-ish")
    assert obj["matches"] == []
    [obj] = cli.json("match", bridge / "aaa-orig.jpg", "--hashset", "ref", "--hashset", "empty-ish")
    assert {m["hashset"] for m in obj["matches"]} == {"ref"}


def test_unreadable_files_exit_1_and_keep_going(cli: Cli, bridge: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    results = cli.json("match", empty, bridge / "aaa-orig.jpg", code=1)
    by_path = {Path(str(r["path"])).name: r for r in results}
    assert by_path["empty.jpg"]["error"] and by_path["empty.jpg"]["matches"] == []
    assert by_path["aaa-orig.jpg"]["matches"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "give at least one PATH or --hash"),
        (("no/such/file.jpg",), "no such file or folder"),
        (("--hash", "xyz"), "--hash xyz: not a hash netsafe knows"),
        (("--hash", "0" * 32, "--max-distance", "65"), "a PDQ distance is 0-64 bits"),
        (("--hash", "0" * 32, "--hashset", "ref:65"), "a PDQ distance is 0-64 bits"),
        (("--hash", "0" * 32, "--min-quality", "101"), "a PDQ quality is 0-100"),
        (("--hash", "md5:1234"), "expected 32 hex characters"),
        (("--hash", "0" * 32, "--hashset", "nope"), "no hash set named 'nope'"),
    ],
)
def test_usage_errors(cli: Cli, args: tuple[str, ...], words: str) -> None:
    result = cli("match", *args)
    assert result.exit_code == 2, result.output
    errors = [ln for ln in result.stderr.splitlines() if ": error: " in ln]
    assert len(errors) == 1 and words in errors[0]


def test_exact_mode_hashes_the_full_decode(cli: Cli, bridge: Path, expected_pdq: dict[str, str]) -> None:
    from netsafe.signals.codecs import hamming_hex
    from netsafe.signals.pdq import pdq_from_source

    [obj] = cli.json("match", bridge / "aaa-orig.jpg", "--exact")
    assert obj["signals"]["pdq"] == pdq_from_source(str(bridge / "aaa-orig.jpg"), "exact").hash
    # Within the reference's few bits (its JPEG decoder differs), and matched against the fast-mode entry.
    assert hamming_hex(obj["signals"]["pdq"], expected_pdq["bridge-mods/aaa-orig.jpg"]) <= 10
    assert any(m["signal"] == "pdq" and m["distance"] <= 31 for m in obj["matches"])


def test_table_output(cli: Cli, bridge: Path) -> None:
    result = cli("match", bridge / "aaa-orig.jpg", "--workers", "1")
    assert result.exit_code == 0
    assert "1 of 1 queries matched" in result.stdout
