"""One scan over the whole evidence set, then what the report must say about it."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import func, select

from netsafe.hashsets.formats import vics
from netsafe.hashsets.model import Entry
from netsafe.media.limits import Limits
from netsafe.signals.codecs import hamming_hex
from netsafe.store import Database
from netsafe.triage.manifest import verify_manifest
from netsafe.triage.models import ScanBlobRow
from netsafe.triage.pipeline import ScanConfig, run_scan
from netsafe.triage.report import write_reports
from netsafe.triage.report_html import render
from netsafe.triage.report_json import schema

from .conftest import BRIDGE, Evidence, make_db, sha256

# Small limits so the test bomb (8 MiB of zeros) trips the ratio guard quickly.
LIMITS = Limits(ratio_grace=1 << 20, max_ratio=100.0)


@dataclass
class Scanned:
    out: Path
    db: Database
    scan_id: int
    report: dict[str, Any]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, evidence: Evidence) -> Iterator[Scanned]:
    base = tmp_path_factory.mktemp("scan")
    mp = pytest.MonkeyPatch()
    mp.setenv("NETSAFE_INDEX_DIR", str(base / "indexes"))
    db = make_db(base, evidence)
    out = base / "out"
    config = ScanConfig(
        sources=(str(evidence.folder), str(evidence.e01)),
        out_dir=str(out),
        hashsets=("caid-test",),
        workers=2,
        thumbnails=True,
        examiner="DC Jane Example",
        limits=LIMITS,
    )
    state = run_scan(db, config)
    data = write_reports(db, state.id, out, thumbnails=True)
    try:
        yield Scanned(out, db, state.id, data.report)
    finally:
        db.dispose()
        mp.undo()


def _items_at(report: dict[str, Any], fragment: str) -> list[dict[str, Any]]:
    return [i for i in report["items"] if any(fragment in p["path"] for p in i["locations"])]


def test_report_validates_against_its_schema(scanned: Scanned) -> None:
    jsonschema.validate(scanned.report, schema())
    on_disk = json.loads((scanned.out / "report.json").read_text())
    jsonschema.validate(on_disk, schema())
    assert on_disk == scanned.report


def test_schema_rejects_a_broken_report(scanned: Scanned) -> None:
    broken = json.loads(json.dumps(scanned.report))
    del broken["summary"]["matches_by_category"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())


def test_metadata(scanned: Scanned, evidence: Evidence) -> None:
    scan = scanned.report["scan"]
    assert scan["examiner"] == "DC Jane Example"
    assert scan["complete"] is True
    assert scan["hash_sets"] == [{"name": "caid-test", "version": 1, "profile": "uk-caid", "entries": 4}]
    folder, e01 = scan["sources"]
    assert folder["type"] == "folder" and "sha256" not in folder
    assert e01["type"] == "disk-image"
    assert e01["sha256"] == hashlib.sha256(evidence.e01.read_bytes()).hexdigest()


def test_identical_files_hashed_once_and_listed_everywhere(scanned: Scanned) -> None:
    (orig,) = [
        i
        for i in scanned.report["items"]
        if i["sha256"] == sha256(Path(_path(scanned, "aaa-orig.jpg")).read_bytes())
    ]
    paths = [p["path"] for p in orig["locations"]]
    assert any(p.endswith("photos/aaa-orig.jpg") for p in paths)
    assert any(p.endswith("photos/notes.txt") for p in paths)  # renamed: found by content
    assert any("nested.zip > zip:inner/b.tar.gz > tar.gz:deep/orig-again.jpg" in p for p in paths)
    with scanned.db.session() as session:
        blobs = session.scalar(
            select(func.count()).select_from(ScanBlobRow).where(ScanBlobRow.scan_id == scanned.scan_id)
        )
    report = scanned.report
    assert blobs == report["summary"]["items"] == len(report["items"])
    assert report["summary"]["files"] == sum(len(i["locations"]) for i in report["items"])
    assert len({i["sha256"] for i in report["items"]}) == len(report["items"])


def _path(scanned: Scanned, name: str) -> str:
    for item in scanned.report["items"]:
        for place in item["locations"]:
            if place["path"].endswith("/" + name) and len(place["location"]) == 1:
                return str(place["location"][0]["name"])
    raise AssertionError(f"{name} not in the report")


def test_bridge_edits_match_by_pdq_with_their_category(
    scanned: Scanned, expected_pdq: dict[str, str]
) -> None:
    orig_pdq = expected_pdq[f"{BRIDGE}/aaa-orig.jpg"]
    for name in ("blur-a-little.jpg", "high-contrast.jpg", "shrink-a-lot.jpg"):
        (item,) = _items_at(scanned.report, f"photos/{name}")
        near = hamming_hex(expected_pdq[f"{BRIDGE}/{name}"], orig_pdq) <= 20
        assert near, f"reference {name} should be near the original"
        (match,) = item["matches"]
        assert match["signal"] == "pdq" and match["hashset"] == "caid-test"
        assert match["category"] == "A" and match["category_label"] == "Category A"
        assert 0 < match["distance"] <= 31
        assert item["category_label"] == "Category A"


def test_exact_matches_inside_disk_images_and_deleted_files(scanned: Scanned, evidence: Evidence) -> None:
    report = scanned.report
    (b,) = [i for i in report["items"] if i["sha256"] == sha256(evidence.exact_b)]
    assert [m["signal"] for m in b["matches"]] == ["md5"] and b["category"] == "B"
    # Found in the raw image in the folder and in the E01: both locations, one item.
    steps = [p["location"] for p in b["locations"]]
    assert len(steps) == 2
    assert all([s["kind"] for s in loc] == ["file", "partition", "path", "member"] for loc in steps)
    assert {loc[1]["image"] for loc in steps} == {"raw", "e01"}
    (c,) = [i for i in report["items"] if i["sha256"] == sha256(evidence.exact_c)]
    assert [m["signal"] for m in c["matches"]] == ["sha256"] and c["category"] == "C"
    assert c["locations"] and all(p["deleted"] for p in c["locations"])
    deleted = [p["path"] for i in report["items"] for p in i["locations"] if p["deleted"]]
    # FAT overwrites a deleted name's first letter; ext4 keeps it. Each is in the raw image and the E01.
    assert sum(p.endswith("one.jpg") and "(fat" in p for p in deleted) == 2
    assert sum(p.endswith("/erased.jpg") and "(ext4" in p for p in deleted) == 2


def test_summary_counts_distinct_items_by_category(scanned: Scanned) -> None:
    report = scanned.report
    summary = report["summary"]
    matched = [i for i in report["items"] if i["matches"]]
    by_label: dict[str, int] = {}
    for item in matched:
        by_label[item["category_label"]] = by_label.get(item["category_label"], 0) + 1
    assert summary["matches_by_category"] == by_label
    # orig + its three edits (A), the zip member (B), the deleted photo (C).
    assert by_label == {"Category A": 4, "Category B": 1, "Category C": 1}
    assert summary["matches_by_hashset"] == {"caid-test": 6}
    assert summary["matched_items"] == 6
    assert summary["images"] == sum(1 for i in report["items"] if i["kind"] == "image")
    assert summary["deleted_files"] >= 4  # two deleted photos, each in the raw image and in the E01
    assert summary["errors"] == len(report["errors"])


def test_safety_limits_become_errors_with_locations(scanned: Scanned) -> None:
    errors = scanned.report["errors"]
    codes = {(e["code"], e["path"].split("/seized/", 1)[-1]) for e in errors}
    assert any(code == "zip-bomb" and path.startswith("bomb.zip") for code, path in codes)
    unsafe = [p for c, p in codes if c == "unsafe-path"]
    assert any("../../etc/evil.jpg" in p for p in unsafe) and any("/abs/root.jpg" in p for p in unsafe)
    assert any(code == "corrupt-archive" and path.startswith("broken.zip") for code, path in codes)
    assert any(code == "decode" and path == "corrupt.jpg" for code, path in codes)
    # Traversal members are still scanned (never written anywhere).
    assert _items_at(scanned.report, "traversal.zip > zip:../../etc/evil.jpg")
    # Nothing stopped the scan: the 7z after the bomb and the disk image were read.
    assert _items_at(scanned.report, "bundle.7z > 7z:x/seven.jpg")


def test_csv_has_one_row_per_location(scanned: Scanned) -> None:
    with open(scanned.out / "report.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    report = scanned.report
    assert len(rows) == report["summary"]["files"]
    by_sha: dict[str, int] = {}
    for row in rows:
        by_sha[row["sha256"]] = by_sha.get(row["sha256"], 0) + 1
    assert by_sha == {i["sha256"]: len(i["locations"]) for i in report["items"]}
    matched_rows = [r for r in rows if r["matched"] == "yes"]
    assert len(matched_rows) == report["summary"]["matched_files"]


# A scheme anywhere, a CSS url(), or any src/href that is not inline data.
URL = re.compile(r"(?i)(\b(https?|ftp|file|wss?):|url\(|(src|href|action)\s*=\s*(?![\"']?data:))")


def test_html_is_self_contained_and_never_shows_a_matched_image(scanned: Scanned) -> None:
    html = (scanned.out / "report.html").read_text()
    assert not URL.search(html)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "<svg" in html and "Category A" in html
    images = re.findall(r"<img [^>]*>", html)
    matched = {i["sha256"] for i in scanned.report["items"] if i["matches"]}
    unmatched_images = [
        i for i in scanned.report["items"] if i["kind"] == "image" and not i["matches"] and not i["error"]
    ]
    titles = [re.search(r'title="([0-9a-f]{64})"', tag) for tag in images]
    shown = {t.group(1) for t in titles if t}
    assert len(shown) == len(images) > 0
    assert not shown & matched
    assert shown == {i["sha256"] for i in unmatched_images}
    with scanned.db.session() as session:
        thumbs = session.scalars(
            select(ScanBlobRow.sha256).where(
                ScanBlobRow.scan_id == scanned.scan_id, ScanBlobRow.thumbnail.is_not(None)
            )
        ).all()
    assert not set(thumbs) & matched  # not even stored


def test_html_has_no_image_by_default(scanned: Scanned) -> None:
    html = render(scanned.report)
    assert "<img" not in html and not URL.search(html)


def test_manifest_verifies_and_detects_changes(scanned: Scanned, tmp_path: Path) -> None:
    out = scanned.out
    assert verify_manifest(out) == []
    names = [line.split("  ", 1)[1] for line in (out / "manifest.txt").read_text().splitlines()]
    assert sorted(names) == [
        "categories.csv",
        "report.csv",
        "report.html",
        "report.json",
        "report.pdf",
        "vics.json",
    ]
    done = subprocess.run(
        ["sha256sum", "-c", "--quiet", "manifest.txt"], cwd=out, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(out, copy)
    with open(copy / "report.csv", "a") as fh:
        fh.write("tampered\n")
    assert verify_manifest(copy) == ["report.csv"]


def test_vics_export_has_all_media(scanned: Scanned) -> None:
    read = [e for e in vics.read(scanned.out / "vics.json") if isinstance(e, Entry)]
    media_items = [i for i in scanned.report["items"] if i["kind"] in ("image", "video") or i["matches"]]
    assert len(read) == len(media_items)
    by_sha = {e.signals["sha256"]: e for e in read}
    for item in media_items:
        entry = by_sha[item["sha256"]]
        assert entry.category == item["category"]  # None (uncategorised) when unmatched
        assert len(entry.media_files) == len(item["locations"])
    text = (scanned.out / "vics.json").read_text()
    assert json.loads(text)["@odata.context"].endswith("/UK/$metadata#Media")
