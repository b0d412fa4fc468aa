"""``netsafe stats show`` and ``import-offences`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netsafe.audit.service import Actor
from netsafe.cli import app
from netsafe.hotline.intake import NewReport, submit
from netsafe.store.db import open_database


def test_show_and_import(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_CONFIG": ""}
    db = open_database(url)
    submit(db, Actor("test"), [NewReport(f"https://example.org/{n}") for n in range(12)], "public")
    db.dispose()
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["stats", *args], env=env)
        return result.exit_code, result.output

    code, out = run("show", "--section", "hotline", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["section"] == "hotline" and shown["rule"].startswith("internal")
    total = [r for r in shown["rows"] if r["view"] == "received_by_month" and r["month"] == "total"]
    assert total[0]["count"] == 12
    code, out = run("show", "--section", "hotline", "--json", "--published")
    total = [r for r in json.loads(out)["rows"] if r["view"] == "received_by_month" and r["month"] == "total"]
    assert total[0]["count"] == 10
    bad = tmp_path / "bad.csv"
    bad.write_text("force,year,offence,count\nKent,2023,x,5\nKent,2023,y,many\n")
    code, out = run("import-offences", str(bad))
    assert code == 2 and out.strip().count("\n") == 0 and "bad.csv line 3: count 'many'" in out
    assert str(tmp_path) not in out
    good = tmp_path / "good.csv"
    good.write_text("force,year,offence,count\nAvon & Somerset,2023,x,55\n")
    code, out = run("import-offences", str(good))
    assert code == 0 and "imported 1 rows for 1 forces" in out
    code, out = run("show", "--section", "offences", "--force", "Avon and Somerset", "--json")
    rows = json.loads(out)["rows"]
    assert rows[0]["force"] == "Avon and Somerset Constabulary" and rows[0]["count"] == 55
    code, out = run("show", "--section", "weather")
    assert code == 2 and "choose one of" in out


def test_rebuild_puts_back_what_a_bulk_load_missed(tmp_path: Path) -> None:
    from sqlalchemy import delete

    from netsafe.hotline.models import DailyRow

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    db = open_database(url)
    submit(db, Actor("test"), [NewReport(f"https://example.org/{n}") for n in range(12)], "public")
    with db.session() as session:
        session.execute(delete(DailyRow))  # as if the reports had been loaded around the ORM
    db.dispose()
    runner = CliRunner()
    env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_CONFIG": ""}
    result = runner.invoke(app, ["stats", "rebuild"], env=env)
    assert result.exit_code == 0 and result.output == "rebuilt the hotline's daily summary: 1 cells\n"
    shown = json.loads(
        runner.invoke(app, ["stats", "show", "--section", "hotline", "--json"], env=env).output
    )
    total = [r for r in shown["rows"] if r["view"] == "received_by_month" and r["month"] == "total"]
    assert total[0]["count"] == 12
