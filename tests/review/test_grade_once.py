"""Grade once, end to end, with benign generated photos: scan a folder with near-duplicate pairs; the queue
groups the pairs; grade them; a second scan of the same photo and of a newly resized copy matches with that
grade and nobody looks again; the regenerated report's counts change; its VICS export round-trips through
``netsafe hashset import``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from netsafe.cli import app
from netsafe.review import service
from netsafe.samples import synthetic_photo
from netsafe.services.hashsets import show_set
from netsafe.store import repositories as repo
from netsafe.triage.report_json import schema

from .conftest import ACTOR, PAIRS, SETTINGS, SINGLES, Case, md5, run_scan_of, sha256


def test_grade_once(case: Case, tmp_path: Path) -> None:
    db, ev = case.db, case.evidence
    page = service.list_groups(db, ACTOR, case.scan_id, SETTINGS)
    pair_groups = [g for g in page.groups if len(g.items) == 2]
    assert len(pair_groups) == PAIRS  # the queue groups each photo with its resized copy
    first, second, third = pair_groups
    service.grade(db, ACTOR, SETTINGS, user="ana", category="A", group_id=first.group)
    service.grade(db, ACTOR, SETTINGS, user="ana", category="C", group_id=second.group)
    service.ignore(db, ACTOR, SETTINGS, user="ana", group_id=third.group)

    # The report written again counts the known item and the newly graded ones.
    before = json.loads((case.tmp / "report1" / "report.json").read_text())["summary"]
    assert before["matches_by_category"] == {"Category A": 1}
    data = service.regenerate(db, ACTOR, SETTINGS, case.scan_id, tmp_path / "again")
    jsonschema.validate(data.report, schema())
    summary = data.report["summary"]
    assert summary["matched_items"] == 1 and summary["graded_items"] == 4
    assert summary["graded_by_category"] == {"Category A": 2, "Category C": 2}
    assert summary["by_category"] == {"Category A": 3, "Category C": 2}
    categories = (tmp_path / "again" / "categories.csv").read_text().splitlines()
    assert len(categories) == 1 + 1 + 4  # header, the known photo, four graded files
    assert sum(",graded," in line for line in categories) == 4

    # The VICS export carries the local grades, not pre-categorised, and imports as a hash list.
    vics = json.loads((tmp_path / "again" / "vics.json").read_text())["value"]
    graded = {
        m["MD5"].lower(): m for m in vics if m.get("MD5") and not m["IsPrecategorized"] and "Category" in m
    }
    original_a, resized_a = _pair_of(ev, first)
    assert graded[md5(original_a)]["Category"] == 1 and graded[md5(resized_a)]["Category"] == 1
    result = CliRunner().invoke(
        app,
        ["hashset", "import", str(tmp_path / "again" / "vics.json"), "--name", "roundtrip", "--json"],
        env={
            "NETSAFE_DATABASE_URL": case.url,
            "NETSAFE_INDEX_DIR": str(case.tmp / "indexes"),
        },
    )
    assert result.exit_code == 0, result.output
    with db.session() as session:
        ids = repo.find_exact(session, "md5", [md5(original_a)], [repo.get_set(session, "roundtrip").id])
        assert repo.get_entry(session, ids[0][0])[1].category == "A"
    assert show_set(db, "roundtrip").info.entry_count == 2 * PAIRS + SINGLES + 1

    # Scan 2, another case: the same photo, and a copy resized now; both match with the grade.
    case2 = tmp_path / "case2"
    case2.mkdir()
    (case2 / "same.jpg").write_bytes(original_a)
    buf = io.BytesIO()
    seed = _seed_of(ev, first)
    synthetic_photo(seed).resize((320, 240)).save(buf, "JPEG", quality=80)
    (case2 / "smaller.jpg").write_bytes(buf.getvalue())
    scan2 = run_scan_of(db, case2, tmp_path / "report2")
    report2 = json.loads((tmp_path / "report2" / "report.json").read_text())
    matched = {i["sha256"]: i for i in report2["items"] if i["matches"]}
    assert set(matched) == {sha256(original_a), sha256(buf.getvalue())}
    for item in matched.values():
        assert item["category"] == "A"
        assert SETTINGS.local_hashset in {m["hashset"] for m in item["matches"]}
    # Nothing left to look at in scan 2: the queue is empty.
    assert service.list_groups(db, ACTOR, scan2, SETTINGS).total_items == 0


def _pair_of(ev: object, group: service.GroupView) -> tuple[bytes, bytes]:
    from .conftest import Evidence

    assert isinstance(ev, Evidence)
    shas = {i.sha256 for i in group.items}
    [pair] = [p for p in ev.pairs if sha256(p[0]) in shas]
    return pair


def _seed_of(ev: object, group: service.GroupView) -> int:
    from .conftest import Evidence

    assert isinstance(ev, Evidence)
    shas = {i.sha256 for i in group.items}
    [n] = [n for n, p in enumerate(ev.pairs) if sha256(p[0]) in shas]
    return 10 + n
