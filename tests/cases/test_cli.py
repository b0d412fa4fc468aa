"""``netsafe case`` from the command line: the shapes of §5 of issue 13, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from typer.testing import CliRunner, Result

from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.cli import app
from netsafe.hotline import intake
from netsafe.services.accounts import add_user
from netsafe.store.db import open_database

from .conftest import make_scan, match


class Cli:
    def __init__(self, url: str) -> None:
        self.env = {"NETSAFE_DATABASE_URL": url}
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Result:
        return self.runner.invoke(app, ["case", *(str(a) for a in args)], env=self.env)

    def json(self, *args: str | Path) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    db = open_database(url)
    with patch("netsafe.services.accounts.hash_password", lambda _: "x"), db.session() as session:
        for role in (Role.INVESTIGATOR, Role.ANALYST):
            add_user(session, Actor("test"), role.value, role, "unused password")
    db.dispose()
    return Cli(url)


def test_the_commands_of_the_issue(cli: Cli, tmp_path: Path) -> None:
    added = cli.json(
        "add", "NS-1", "--source", "nca", "--received", "2026-11-30", "--operation", "Op NetSafe"
    )
    assert added["reference"] == "NS-1" and added["status"] == "new"
    cli.json("add", "NS-2", "--source", "ncmec", "--received", "2026-11-01")
    out = cli.json(
        "assess", "NS-1", "--answer", "lives_with_child=yes", "--answer", "producing_images=unknown",
        "--note", "lives_with_child=council tax record", "--user", "investigator",
    )  # fmt: skip
    assert set(out) >= {"level", "reasons", "gaps", "deadline"}
    assert out["level"] == "high" and out["deadline"] == "2026-12-07"
    assert out["reasons"][0].startswith("High: access to children (lives with a child)")
    assert {"factor": "producing_images", "could_raise_to": "Very High"}.items() <= next(
        g for g in out["gaps"] if g["factor"] == "producing_images"
    ).items()
    listed = cli.json("list", "--as-of", "2026-12-08")
    assert [(r["reference"], r["overdue"]) for r in listed] == [("NS-2", True), ("NS-1", True)]
    assert set(listed[0]) >= {"reference", "level", "deadline", "overdue", "status"}
    db = open_database(cli.env["NETSAFE_DATABASE_URL"])
    scan = make_scan(db, [("image", [match("A")]), ("image", [])])
    [report] = intake.submit(db, Actor("test"), [intake.NewReport(url="http://example.org/a")], "public")
    db.dispose()
    assert cli.json("link", "NS-1", "--scan", str(scan), "--exhibit", "EX-1 phone")["scan"] == scan
    assert cli.json("link", "NS-1", "--report", report.reference)["checked"] is True
    missing = cli("link", "NS-1", "--report", "HL-77")
    assert missing.exit_code == 2 and "no report" in missing.output
    acted = cli.json(
        "action", "NS-1", "--kind", "arrest", "--children-safeguarded", "2", "--user", "investigator"
    )
    assert acted["status"] == "action taken" and acted["first_action"] is not None
    shown = cli.json("show", "NS-1")
    assert shown["children_safeguarded"] == 2 and shown["evidence"]["totals"]["unknown"] == 1
    model = cli.json("model", "show")
    assert {"id", "step", "question"} == set(model["factors"][0])
    assert model["levels"]["very_high"]["target_days"] == 1 and model["rules"]
    text = cli("list")
    assert text.exit_code == 0 and "NS-1" in text.stdout


def test_errors_are_one_line_with_the_kind_s_exit_code(cli: Cli, tmp_path: Path) -> None:
    cli.json("add", "NS-1", "--source", "nca", "--received", "2026-11-30")
    cases = [
        (("add", "NS-1", "--source", "nca", "--received", "2026-11-30"), 1, "exists already"),
        (("add", "NS-9", "--source", "fax", "--received", "2026-11-30"), 2, "--source 'fax': choose one of"),
        (("add", "NS-9", "--source", "nca", "--received", "30/11/2026"), 2, "YYYY-MM-DD"),
        (("assess", "NS-1", "--answer", "lives_with_child=maybe", "--user", "investigator"), 2, "yes, no or"),
        (("assess", "NS-1", "--answer", "lives_with_child", "--user", "investigator"), 2, "FACTOR=VALUE"),
        (("assess", "NS-1", "--user", "analyst"), 2, "investigator role"),
        (("assess", "NS-404", "--user", "investigator"), 2, "no case 'NS-404'"),
        (("link", "NS-1"), 2, "either --scan"),
        (("link", "NS-1", "--scan", "77"), 2, "no scan 77"),
        (("action", "NS-1", "--kind", "charge", "--user", "investigator"), 2, "offence"),
        (("action", "NS-1", "--kind", "dance", "--user", "investigator"), 2, "--kind 'dance'"),
    ]
    for args, code, text in cases:
        result = cli(*args)
        assert result.exit_code == code, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("netsafe case: error:") and text in lines[0], (
            args,
            lines,
        )


def test_model_validate(cli: Cli, tmp_path: Path) -> None:
    from importlib import resources

    text = resources.files("netsafe.cases").joinpath("default_model.json").read_text()
    good = tmp_path / "good.json"
    good.write_text(text)
    assert cli.json("model", "validate", good)["valid"] is True
    bad = tmp_path / "bad.json"
    bad.write_text(text.replace('"target_days": 7', '"target_days": "a week"'))
    result = cli("model", "validate", bad)
    line = next(n for n, x in enumerate(bad.read_text().splitlines(), 1) if '"a week"' in x)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"netsafe case: error: bad.json:{line}: levels[1].target_days: Input should be a valid integer, "
        'unable to parse string as an integer (got "a week")'
    )
    assert str(tmp_path) not in result.stderr
