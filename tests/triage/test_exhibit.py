"""The report as an exhibit (issue 17): case and exhibit references, the evidence's acquisition hash, the
charge table, the per-file exhibit table with file-system times and deleted flags, near-copies, the PDF.

Evidence: a FAT file system written with fixed times (one file deleted) inside a partitioned disk acquired
as E01, and a folder with a photo and a blurred copy of it; every picture is a generated benign image."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import ImageFilter
from typer.testing import CliRunner

from netsafe.cli import app
from netsafe.samples import synthetic_photo
from netsafe.services.hashsets import import_file
from netsafe.store import open_database
from netsafe.triage.report_json import schema

from .conftest import ACTOR, media

WHEN = 1_588_334_400.0  # 2020-05-01T12:00:00Z: FAT keeps local time to 2 s, and the tests run in UTC
WHEN_ISO = "2020-05-01T12:00:00Z"
CASE, EXHIBIT = "OP-17/2026", "ABC/1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
# Debian's Chromium, as tests/web/test_browser.py drives it.
CHROMIUM = os.environ.get("NETSAFE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def photo(seed: int, blur: float = 0.0) -> bytes:
    img = synthetic_photo(seed, 320, 240)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Case:
    raw: bytes
    e01: Path
    folder: Path
    a: bytes  # live on the FAT, listed by MD5, category A, MediaID 201, series "S1"
    b: bytes  # deleted from the FAT, listed by MD5, category B
    c: bytes  # in the folder, listed by SHA-256, category C
    blurred: bytes  # in the folder: a blurred copy of ``a``, listed nowhere
    other: bytes  # live on the FAT, listed nowhere, resembling nothing


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    base = tmp_path_factory.mktemp("exhibit")
    a, b, c, other = photo(80), photo(81), photo(82), photo(83)
    fat = base / "fat.img"
    media.make_fat(fat, {"DCIM/a.jpg": a, "DCIM/other.jpg": other}, {"DCIM/gone.jpg": b}, when=WHEN)
    raw = media.mbr_disk([(0x06, fat.read_bytes())])
    media.tool("ewfacquirestream", "ewf-tools")
    target = base / "e01" / "laptop"
    target.parent.mkdir()
    media.run("ewfacquirestream", "-q", "-c", "none", "-d", "sha1", "-t", str(target), "-C", CASE, stdin=raw)
    folder = base / "phone"
    folder.mkdir()
    blurred = photo(80, blur=1.5)
    (folder / "c.jpg").write_bytes(c)
    (folder / "blurred.jpg").write_bytes(blurred)
    return Case(raw, target.with_suffix(".E01"), folder, a, b, c, blurred, other)


@pytest.fixture(scope="module")
def scanned(case: Case, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("exhibit-scan")
    mp = pytest.MonkeyPatch()
    mp.setenv("NETSAFE_INDEX_DIR", str(base / "indexes"))
    url = f"sqlite:///{base / 'netsafe.db'}"
    listing = base / "list.csv"
    with open(listing, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["MediaID", "MD5", "SHA256", "Category", "Series"])
        writer.writerow(["201", hashlib.md5(case.a).hexdigest(), "", "A", "S1"])
        writer.writerow(["202", hashlib.md5(case.b).hexdigest(), "", "B", ""])
        writer.writerow(["203", "", hashlib.sha256(case.c).hexdigest(), "C", ""])
    db = open_database(url)
    import_file(db, ACTOR, listing, "caid-test", format="csv", profile="uk-caid")
    db.dispose()
    out = base / "out"
    args = ["scan", str(case.e01), str(case.folder), "--out", str(out), "--case", CASE, "--exhibit", EXHIBIT]
    result = CliRunner().invoke(
        app, [*args, "--examiner", "DC Example", "--thumbnails", "-q"], env={"NETSAFE_DATABASE_URL": url}
    )
    mp.undo()
    assert result.exit_code == 0, result.output
    return out


def _report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text("utf-8"))
    return data


def _item(report: dict[str, Any], data: bytes) -> dict[str, Any]:
    sha = hashlib.sha256(data).hexdigest()
    [item] = [i for i in report["items"] if i["sha256"] == sha]
    return item


def test_report_names_the_case_the_exhibit_and_the_acquisition_hash(scanned: Path, case: Case) -> None:
    report = _report(scanned)
    jsonschema.validate(report, schema())
    assert report["format_version"] == 2
    scan = report["scan"]
    assert (scan["case"], scan["exhibit"], scan["examiner"]) == (CASE, EXHIBIT, "DC Example")
    e01 = scan["sources"][0]
    assert e01["type"] == "disk-image"
    assert e01["acquisition_hashes"] == {
        "md5": hashlib.md5(case.raw).hexdigest(),
        "sha1": hashlib.sha1(case.raw).hexdigest(),
    }
    assert "acquisition_hashes" not in scan["sources"][1]  # a folder has none


def test_charge_table_lists_every_category_in_severity_order(scanned: Path) -> None:
    charge = _report(scanned)["summary"]["charge"]
    assert [(r["category"], r["label"]) for r in charge] == [
        ("A", "Category A"),
        ("B", "Category B"),
        ("C", "Category C"),
        ("NP", "Non-pertinent"),
        (None, "Uncategorised"),
    ]
    counts = [(r["images"], r["videos"], r["files"]) for r in charge]
    # The blurred copy of A is a near-copy: it needs grading and is not counted under A.
    assert counts == [(1, 0, 1), (1, 0, 1), (1, 0, 1), (0, 0, 0), (0, 0, 0)]


def test_fat_times_and_deleted_flags_reach_every_report(scanned: Path, case: Case) -> None:
    report = _report(scanned)
    live, gone = _item(report, case.a), _item(report, case.b)
    assert [p["deleted"] for p in live["locations"]] == [False]
    assert [p["deleted"] for p in gone["locations"]] == [True]
    for item in (live, gone):
        times = item["locations"][0]["times"]
        assert times["modified"] == WHEN and times["created"] == WHEN
    with open(scanned / "report.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # Most severe first, then the near-copy, then the rest.
    assert [r["category"] for r in rows[:3]] == ["A", "B", "C"]
    assert [r["status"] for r in rows] == ["matched"] * 3 + ["near-copy", "unmatched"]
    first, second = rows[0], rows[1]
    assert first["file_name"] == "a.jpg" and first["deleted"] == "no" and second["deleted"] == "yes"
    assert first["created"] == first["modified"] == WHEN_ISO
    assert first["accessed"] == "2020-05-01T00:00:00Z"  # FAT keeps the access date only
    assert (first["media_ids"], first["series"], first["match_signals"]) == ("201", "S1", "md5")
    assert (first["case"], first["exhibit"], first["item"]) == (CASE, EXHIBIT, "1")
    assert rows[2]["created"] == ""  # a folder on the examiner's machine: no creation time in stat
    html = (scanned / "report.html").read_text("utf-8")
    assert f"C {WHEN_ISO}" in html and "(deleted)" in html
    assert "Charge table" in html and "Non-pertinent" in html and CASE in html and EXHIBIT in html


def test_a_blurred_copy_of_a_found_photo_is_a_near_copy(scanned: Path, case: Case) -> None:
    report = _report(scanned)
    found, blurred = _item(report, case.a), _item(report, case.blurred)
    assert blurred["matches"] == []
    near = blurred["near_copy_of"]
    assert near is not None and near["sha256"] == found["sha256"] and near["signal"] == "pdq"
    assert near["category"] == "A" and 0 < near["distance"] <= 31
    assert _item(report, case.other)["near_copy_of"] is None
    summary = report["summary"]
    assert (summary["near_copies"], summary["near_copy_files"], summary["matched_items"]) == (1, 1, 3)
    html = (scanned / "report.html").read_text("utf-8")
    assert f"similar to item 1 (Category A), distance {near['distance']} (pdq): needs grading" in html
    # Thumbnails: only the photo that resembles nothing, labelled; never the near-copy.
    assert html.count("<img ") == 1 and blurred["sha256"] not in html.split("Unmatched images", 1)[1]
    assert "DCIM/other.jpg" in html.split("Unmatched images", 1)[1]


def test_pdf_has_the_references_and_page_numbers_on_every_page(scanned: Path) -> None:
    pdf = scanned / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install the Debian package poppler-utils (make system-deps)")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout
    pages = text.decode("utf-8").split("\f")[:-1]
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        assert f"Case {CASE} · Exhibit {EXHIBIT}" in page
        assert f"Page {n} of {len(pages)}" in page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "report-pdf")], check=True)
    assert len(list(ARTIFACTS.glob("report-pdf-*.png"))) == len(pages)


def test_html_report_at_a4_width(scanned: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: scripts/system-packages.txt installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            # A4 at 96 dpi: 210 mm = 794 px.
            page = browser.new_page(viewport={"width": 794, "height": 1123})
            page.goto((scanned / "report.html").as_uri())
            widest = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(ARTIFACTS / "report-html-a4.png"), full_page=True)
        finally:
            browser.close()
    assert widest <= 794, "the report must fit an A4 page's width without scrolling sideways"


def test_vics_carries_the_case_and_exhibit(scanned: Path) -> None:
    media = json.loads((scanned / "vics.json").read_text("utf-8"))["value"]
    assert media and all((m["CaseReference"], m["ExhibitReference"]) == (CASE, EXHIBIT) for m in media)


def test_category_colours_follow_severity() -> None:
    from netsafe.triage.report_html import NEUTRAL, colours

    palette = colours("uk-caid")
    assert len({palette["A"], palette["B"], palette["C"]}) == 3
    assert palette["NP"] == palette[None] == NEUTRAL  # graded not indecent, and ungraded: no alarm colour
    assert colours("vic-us")[None] == NEUTRAL


def test_a_near_uniform_thumbnail_says_so_instead_of_a_grey_block() -> None:
    import base64

    from PIL import Image

    from netsafe.triage.report_html import uniform

    def png(img: Image.Image) -> str:
        out = io.BytesIO()
        img.save(out, "PNG")
        return base64.b64encode(out.getvalue()).decode("ascii")

    assert uniform(png(Image.new("L", (96, 72), 3)))
    assert not uniform(png(synthetic_photo(5, 96, 72).convert("L")))


def _video(sha: str, frames: list[str], matched: bool) -> dict[str, Any]:
    vpdq = [{"frame": i, "timestamp": float(i), "quality": 100, "pdq": h} for i, h in enumerate(frames)]
    match = {"hashset": "s", "entry_id": 1, "signal": "md5", "distance": 0, "category": "B"}
    return {
        "sha256": sha,
        "kind": "video",
        "signals": {"sha256": sha, "vpdq": vpdq},
        "category": "B" if matched else None,
        "category_label": "Category B" if matched else None,
        "matches": [match] if matched else [],
        "near_copy_of": None,
    }


def test_a_re_encoded_video_is_a_near_copy_by_vpdq() -> None:
    from netsafe.triage.report_near import mark_near_copies

    rng = random.Random(3)
    frames = [f"{rng.getrandbits(256):064x}" for _ in range(6)]
    flipped = [f"{int(h, 16) ^ 0b111:064x}" for h in frames]  # three bits off in every frame
    other = [f"{rng.getrandbits(256):064x}" for _ in range(6)]
    items = [_video("a" * 64, frames, True), _video("b" * 64, flipped, False), _video("c" * 64, other, False)]
    mark_near_copies(items, 31)
    assert items[1]["near_copy_of"] == {
        "sha256": "a" * 64,
        "category": "B",
        "category_label": "Category B",
        "distance": 3,
        "signal": "vpdq",
    }
    assert items[2]["near_copy_of"] is None and items[0]["near_copy_of"] is None
