"""Evidence names are hostile input: whatever a file is called, the HTML stays inert and the CSV exact."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.triage.report_csv import COLUMNS, rows
from netsafe.triage.report_html import render

NAMES = st.text(min_size=1, max_size=60).filter(lambda s: "\x00" not in s)


def _report(names: list[str], message: str) -> dict[str, Any]:
    item = {
        "sha256": "ab" * 32,
        "size": 10,
        "kind": "image",
        "mime": "image/jpeg",
        "signals": {"sha256": "ab" * 32},
        "error": None,
        "category": "A",
        "category_label": "Category A",
        "matches": [
            {
                "hashset": "set",
                "entry_id": 1,
                "signal": "md5",
                "distance": 0,
                "category": "A",
                "category_label": "Category A",
                "profile": "uk-caid",
            }
        ],
        "near_copy_of": None,
        "locations": [
            {"path": name, "location": [{"kind": "file", "name": name}], "deleted": False} for name in names
        ],
    }
    return {
        "scan": {
            "case": names[0],
            "exhibit": names[-1],
            "examiner": names[0],
            "started": "2026-01-01T00:00:00Z",
            "finished": None,
            "netsafe_version": "0",
            "signals": ["md5"],
            "hash_sets": [],
            "sources": [],
        },
        "summary": {
            "files": len(names),
            "bytes": 10,
            "items": 1,
            "images": 1,
            "videos": 0,
            "deleted_files": 0,
            "matched_items": 1,
            "matched_files": len(names),
            "errors": 1,
            "matches_by_category": {names[-1]: 1},
            "matches_by_hashset": {"set": 1},
            "charge_profile": "uk-caid",
            "charge": [
                {"category": "A", "label": names[-1], "images": 1, "videos": 0, "files": len(names)},
                {"category": None, "label": "Uncategorised", "images": 0, "videos": 0, "files": 0},
            ],
            "near_copies": 0,
            "near_copy_files": 0,
        },
        "items": [item],
        "errors": [{"path": names[0], "location": [], "code": "unsafe-path", "message": message}],
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=4), NAMES)
def test_html_escapes_every_name(names: list[str], message: str) -> None:
    html = render(_report(names, message))
    body = html.split("<body>", 1)[1]
    tags = set(re.findall(r"<\s*([a-zA-Z0-9]+)", body))
    allowed = {"h1", "h2", "h3", "table", "tr", "th", "td", "code", "br", "p", "svg", "text", "rect", "span"}
    assert tags <= allowed | {"strong", "colgroup", "col"}
    assert "<script" not in html.lower() and "<img" not in html.lower()


@settings(max_examples=200, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=4))
def test_csv_keeps_names_and_defuses_formulas(names: list[str]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows(_report(names, "m")))
    back = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(back) == len(names)
    # The exhibit table orders an item's files by location.
    for row, name in zip(back, sorted(names), strict=True):
        dangerous = name[:1] in ("=", "+", "-", "@", "\t", "\r")
        assert row["location"] == ("'" + name if dangerous else name)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ANY_TEXT = st.text(st.characters(codec=None), min_size=1, max_size=40)  # surrogates too


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_no_csv_cell_is_a_formula(hashset: str, category: str, label: str, error: str) -> None:
    """A hash set named ``=HYPERLINK(...)`` (lists come from others) or a hostile category must stay text."""
    report = _report(["/ev/a.jpg"], "m")
    item = report["items"][0]
    item.update(category=category, category_label=label, error=error)
    item["matches"][0].update(hashset=hashset, category=category, category_label=label)
    item["matches"].append({**item["matches"][0], "hashset": '=HYPERLINK("http://x","y")', "signal": "pdq"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows(report))
    out.getvalue().encode("utf-8")  # a name that is not UTF-8 is escaped, not fatal
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    for column, cell in row.items():
        assert not cell.startswith(FORMULA_START), (column, cell)
    assert row["sha256"] == "ab" * 32  # hashes are left alone


def test_hash_csv_output_defuses_formulas() -> None:
    """``netsafe hash --csv``: paths and errors come from the evidence."""
    from netsafe.cli.output import write_csv
    from netsafe.hashing.record import FileRecord

    records = [
        FileRecord(path="=cmd|' /C calc'!A0", size=3, digests={"sha256": "cd" * 32}, error="@SUM(1+1)"),
        FileRecord(path="-2+3.jpg\udcff", size=4, kind="image"),
    ]
    out = io.StringIO()
    assert list(write_csv(records, out)) == records
    back = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["path"] for r in back] == ["'=cmd|' /C calc'!A0", "'-2+3.jpg\\xff"]
    assert back[0]["error"] == "'@SUM(1+1)" and back[0]["sha256"] == "cd" * 32 and back[0]["size"] == "3"
