"""``netsafe hashset``: the JSON contracts, exit codes and one-line errors, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from netsafe.cli import app
from netsafe.store.pytest_fixtures import database_url, postgres_server, postgres_store

__all__ = ["database_url", "postgres_server", "postgres_store"]

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


class Cli:
    def __init__(self, url: str, tmp: Path) -> None:
        self.env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_INDEX_DIR": str(tmp / "indexes")}
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Result:
        return self.runner.invoke(app, [str(a) for a in args], env=self.env)


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    return Cli(database_url, tmp_path)


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.stderr.splitlines() if ": error: " in ln]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def jsonl(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def write_vics(path: Path, n: int, bad_at: int | None = None) -> Path:
    records = [
        {"MediaID": i, "MD5": f"{i:032x}", "Category": i % 5, "IsDistributed": "true"}
        for i in range(1, n + 1)
    ]
    if bad_at is not None:
        records[bad_at - 1]["MD5"] = "not-hex"
    path.write_text(json.dumps({"@odata.context": CONTEXT, "value": records}))
    return path


def test_import_list_show_export_delete(cli: Cli, tmp_path: Path) -> None:
    src = write_vics(tmp_path / "us.json", 12)
    result = cli("hashset", "import", src, "--name", "vic", "--profile", "vic-us", "--json")
    assert result.exit_code == 0, result.output
    [summary] = jsonl(result)
    assert summary["added"] == 12 and summary["version"] == 1 and summary["committed"] is True
    cli("hashset", "import", write_vics(tmp_path / "more.json", 15), "--name", "vic")
    cli("hashset", "import", tmp_path / "us.json", "--name", "other", "--format", "vics")

    listed = jsonl(cli("hashset", "list", "--json"))
    assert [(d["name"], d["entries"], d["version"], d["profile"]) for d in listed] == [
        ("other", 12, 1, "uk-caid"),
        ("vic", 15, 2, "vic-us"),
    ]
    [shown] = jsonl(cli("hashset", "show", "vic", "--json"))
    assert shown["entries"] == 15 and shown["signals"]["md5"] == 15
    counts = {c["category"]: c["entries"] for c in shown["categories"]}
    assert counts == {"0": 3, "1": 3, "2": 3, "3": 3, "4": 3, None: 0}

    out = tmp_path / "out.json"
    exported = cli("hashset", "export", "vic", "--format", "vics", "--output", out, "--json")
    assert jsonl(exported) == [{"name": "vic", "format": "vics", "entries": 15, "output": str(out)}]
    assert json.loads(out.read_text())["@odata.context"].endswith("/US/$metadata#Media")
    to_stdout = cli("hashset", "export", "vic", "--format", "md5sum")
    assert to_stdout.exit_code == 0 and len(to_stdout.stdout.splitlines()) == 15

    deleted = cli("hashset", "delete", "vic", "--yes", "--json")
    assert jsonl(deleted) == [{"deleted": "vic", "entries": 15, "version": 2}]
    assert [d["name"] for d in jsonl(cli("hashset", "list", "--json"))] == ["other"]


def test_all_or_nothing_and_skip_invalid(cli: Cli, tmp_path: Path) -> None:
    cli("hashset", "import", write_vics(tmp_path / "ok.json", 3), "--name", "s")
    bad = write_vics(tmp_path / "bad.json", 9, bad_at=5)
    failed = cli("hashset", "import", bad, "--name", "s", "--json")
    line = one_line_error(failed, 1)
    assert "bad.json:5" in line and "nothing imported" in line
    assert jsonl(failed)[0]["committed"] is False
    assert [(d["entries"], d["version"]) for d in jsonl(cli("hashset", "list", "--json"))] == [(3, 1)]

    rejects = tmp_path / "rejects.jsonl"
    skipped = cli("hashset", "import", bad, "--name", "s", "--skip-invalid", "--rejects", rejects, "--json")
    assert skipped.exit_code == 1
    assert jsonl(skipped)[0]["added"] == 5 and jsonl(skipped)[0]["rejected"] == 1
    [rejected] = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert rejected["record"] == 5 and rejected["field"] == "MD5"
    assert [(d["entries"], d["version"]) for d in jsonl(cli("hashset", "list", "--json"))] == [(8, 2)]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("hashset", "import", "missing.json", "--name", "x"), "no such file"),
        (("hashset", "import", "{ok}", "--name", "x", "--format", "nope"), "unknown format 'nope'"),
        (("hashset", "import", "{ok}", "--name", "x", "--profile", "nope"), "unknown grading profile"),
        (("hashset", "import", "{ok}", "--name", "s", "--profile", "vic-us"), "uses profile uk-caid"),
        (("hashset", "import", "{garbage}", "--name", "x"), "cannot tell the format"),
        (("hashset", "show", "nope"), "no hash set named 'nope'"),
        (("hashset", "export", "nope", "--format", "csv"), "no hash set named 'nope'"),
        (("hashset", "export", "s", "--format", "csv", "--json"), "needs --output"),
        (("hashset", "delete", "nope", "--yes"), "no hash set named 'nope'"),
        (("hashset", "delete", "s"), "without --yes"),
        (("hashset", "remove", "s"), "give --entry ID or --hash HEX"),
        (("hashset", "remove", "s", "--entry", "999999"), "no entry with id 999999"),
        (("hashset", "remove", "s", "--hash", "zz"), "not a hash netsafe knows"),
        (("hashset", "remove", "s", "--hash", "00" * 16), "no entry with hash"),
        (("hashset", "remove", "nope", "--entry", "1"), "no hash set named 'nope'"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    ok = write_vics(tmp_path / "ok.json", 2)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01binary junk\xff" * 10)
    assert cli("hashset", "import", ok, "--name", "s").exit_code == 0
    result = cli(*(a.format(ok=ok, garbage=garbage) for a in args))
    assert words in one_line_error(result, 2)


def test_malformed_json_is_one_located_error(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"@odata.context": "' + CONTEXT + '", "value": [{"MD5": "' + "0" * 32 + '"}, {"MD5": ')
    line = one_line_error(cli("hashset", "import", broken, "--name", "x", "--format", "vics"), 1)
    assert "broken.json:2" in line
    assert jsonl(cli("hashset", "list", "--json")) == []


def test_unreachable_database_is_a_one_line_failure(tmp_path: Path) -> None:
    cli = Cli("postgresql://nobody:secret@127.0.0.1:1/none", tmp_path)
    line = one_line_error(cli("hashset", "list"), 1)
    assert "cannot open the postgresql store" in line and "secret" not in line
    assert "nobody" not in line and "/none" not in line  # no URL, not even without its password


def test_remove_entries_by_id_and_hash(cli: Cli, tmp_path: Path) -> None:
    src = write_vics(tmp_path / "us.json", 5)
    assert cli("hashset", "import", src, "--name", "vic", "--profile", "vic-us").exit_code == 0
    [hit] = jsonl(cli("match", "--hash", f"{2:032x}", "--hashset", "vic", "--json"))
    [match] = hit["matches"]
    removed = cli("hashset", "remove", "vic", "--entry", match["entry_id"], "--json")
    assert removed.exit_code == 0, removed.output
    assert jsonl(removed) == [{"name": "vic", "version": 2, "removed": 1, "entry_ids": [match["entry_id"]]}]
    [after] = jsonl(cli("match", "--hash", f"{2:032x}", "--hashset", "vic", "--json"))
    assert after["matches"] == []
    by_hash = cli("hashset", "remove", "vic", "--hash", f"md5:{3:032x}", "--hash", f"{4:032x}", "--json")
    assert by_hash.exit_code == 0, by_hash.output
    assert jsonl(by_hash)[0]["removed"] == 2 and jsonl(by_hash)[0]["version"] == 3
    [info] = jsonl(cli("hashset", "list", "--json"))
    assert (info["entries"], info["version"]) == (2, 3)
    again = cli("hashset", "remove", "vic", "--entry", match["entry_id"])
    assert "no entry with id" in one_line_error(again, 2)


def test_command_line_changes_and_lookups_are_audited(cli: Cli, tmp_path: Path) -> None:
    src = write_vics(tmp_path / "us.json", 3)
    assert cli("hashset", "import", src, "--name", "vic", "--profile", "vic-us").exit_code == 0
    bad = write_vics(tmp_path / "bad.json", 3, bad_at=2)
    assert cli("hashset", "import", bad, "--name", "vic").exit_code == 1
    assert cli("hashset", "export", "vic", "--format", "md5sum").exit_code == 0
    assert cli("match", "--hash", f"{1:032x}", "--json").exit_code == 0
    assert cli("hashset", "delete", "vic", "--yes").exit_code == 0
    exported = cli("audit", "export")
    assert exported.exit_code == 0, exported.output
    events = [json.loads(line) for line in exported.stdout.splitlines() if line.strip()]
    seen = [(e["action"], e["outcome"]) for e in events]
    assert seen == [
        ("hashset.import", "ok"),
        ("hashset.import", "failed"),
        ("hashset.export", "ok"),
        ("match", "ok"),
        ("hashset.delete", "ok"),
        ("audit.export", "ok"),  # reading the log is itself an event
    ]
    assert all(str(e["actor"]).startswith("cli:") for e in events)
    match = events[3]
    assert match["details"]["matches"] == 1
    assert [q["query"] for q in match["details"]["queries"]] == [f"{1:032x}"]
    verified = cli("audit", "verify")
    assert verified.exit_code == 0, verified.output


# Import messages speak the command line (issue 17): the option to use, not a Python argument.


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'netsafe.db'}", tmp_path)


def test_a_folder_given_as_the_list_says_so(sqlite_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    line = one_line_error(sqlite_cli("hashset", "import", tmp_path / "lists", "--name", "x"), 2)
    assert "is a folder: give the hash-list file itself" in line


def test_unknown_csv_headers_name_the_column_option_and_it_maps_them(sqlite_cli: Cli, tmp_path: Path) -> None:
    listing = tmp_path / "odd.csv"
    listing.write_text(f"Hash,Grade\n{'ab' * 16},B\n")
    line = one_line_error(sqlite_cli("hashset", "import", listing, "--name", "odd"), 1)
    assert "--column md5=HEADER" in line and "columns=" not in line
    done = sqlite_cli(
        "hashset", "import", listing, "--name", "odd", "--column", "md5=Hash", "--column", "category=Grade"
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(sqlite_cli("hashset", "show", "odd", "--json").stdout)
    assert {c["category"]: c["entries"] for c in shown["categories"]}["B"] == 1
    bad = one_line_error(sqlite_cli("hashset", "import", listing, "--name", "odd", "--column", "md5"), 2)
    assert "expected FIELD=HEADER" in bad


def test_a_plain_md5sum_list_takes_one_category_for_all(sqlite_cli: Cli, tmp_path: Path) -> None:
    listing = tmp_path / "known.md5"
    listing.write_text(f"{'cd' * 16}  a.jpg\n{'ef' * 16}  b.jpg\n")
    done = sqlite_cli("hashset", "import", listing, "--name", "plain", "--category", "A")
    assert done.exit_code == 0, done.output
    shown = json.loads(sqlite_cli("hashset", "show", "plain", "--json").stdout)
    assert {c["category"]: c["entries"] for c in shown["categories"]}["A"] == 2
    line = one_line_error(sqlite_cli("hashset", "import", listing, "--name", "p2", "--category", "Z"), 2)
    assert "category 'Z' is not in profile uk-caid (use one of: A, B, C, NP)" in line
