"""The dashboard and the API: each chart's SVG carries its table's numbers, the published view hides small
counts, the internal view is for the stats permission, downloads match the service."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from netsafe.audit.service import Actor
from netsafe.cases import service as cs
from netsafe.cases.vocab import Source
from netsafe.hotline.intake import NewReport, submit
from netsafe.store.db import open_database
from web.helpers import Service, make_service

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def site(tmp_path: Path) -> Service:
    service = make_service(open_database(f"sqlite:///{tmp_path / 'web.db'}"))
    actor = Actor("test")
    submit(service.db, actor, [NewReport(f"https://example.org/{n}") for n in range(23)], "public")
    submit(service.db, actor, [NewReport("https://example.net/x")], "partner:p")
    for n in range(3):
        cs.add_case(service.db, actor, cs.NewCase(f"NS-{n}", Source.NCA, date(2026, 11, 1)))
    return service


def _figures(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "figure"]


def _charts(html: str) -> list[tuple[str, str]]:
    """Each figure's SVG and its table."""
    return re.findall(r'<figure class="chart"[^>]*>.*?(<svg.*?</svg>)\s*(<table>.*?</table>)', html, re.S)


def test_each_chart_carries_its_tables_numbers(site: Service) -> None:
    page = site.signed_in("senior").get("/stats/internal")
    assert page.status_code == 200
    charts = _charts(page.text)
    assert len(charts) > 10
    for svg, table in charts:
        header = re.findall(r"<th scope=\"col\">(.*?)</th>", table)
        expected = []
        for cells in re.findall(r"<tr>(<td>.*?)</tr>", table, re.S):
            row = dict(zip(header, re.findall(r"<td>(.*?)</td>", cells), strict=True))
            if "total" in row.values():
                continue
            expected.append(row.get("count") or row.get("value") or "")
        assert _figures(svg) == expected, svg
    received = next(svg for svg, table in charts if "hotline: received by month" in svg)
    assert _figures(received) == ["24"]


def test_published_hides_and_internal_needs_the_permission(site: Service) -> None:
    analyst = site.signed_in("analyst")
    page = analyst.get("/stats")
    assert page.status_code == 200 and "under 10 suppressed" in page.text
    cases = next(svg for svg, _ in _charts(page.text) if "cases: by risk level" in svg)
    assert _figures(cases) == ["suppressed"]  # 3 unassessed cases
    assert analyst.get("/stats/internal", follow_redirects=False).status_code == 403
    assert 'href="/stats/internal"' not in page.text
    assert 'href="/stats/internal"' in site.signed_in("senior").get("/stats").text


def test_downloads_and_api_agree(site: Service) -> None:
    client = site.signed_in("senior")
    got = client.get("/stats/download/hotline?format=csv")
    assert got.status_code == 200 and got.headers["content-disposition"].endswith('hotline.csv"')
    lines = got.text.splitlines()
    assert "under 10 suppressed" in lines[0]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    total = next(r for r in rows if r["view"] == "received_by_month" and r["month"] == "total")
    assert total["count"] == "25"  # 24 rounded to the nearest 5
    as_json = client.get("/stats/download/hotline?format=json").json()
    api = site.client().get("/api/v1/stats/hotline", headers=site.bearer("analyst")).json()
    assert as_json["rows"] == api["rows"]
    internal = site.client().get("/api/v1/stats/hotline/internal", headers=site.bearer("senior")).json()
    shares = {
        r["measure"]: r.get("count", r.get("value"))
        for r in internal["rows"]
        if r["view"] == "public_reports"
    }
    assert shares == {"assessed": 0, "actionable": 0, "actionable_percent": None}
    assert client.get("/stats?from=2026-13-01").status_code == 422
    bad = site.client().get("/api/v1/stats/weather", headers=site.bearer("analyst"))
    assert bad.status_code in (400, 422) and "choose one of" in bad.text


def test_hash_set_and_operation_filters_reach_every_door(site: Service) -> None:
    client = site.signed_in("senior")
    page = client.get("/stats/internal?hashset=bank&operation=")
    assert page.status_code == 200 and 'name="hashset" value="bank"' in page.text
    assert (
        "download/triage?format=csv&amp;from=&amp;to=&amp;force=&amp;hashset=bank&amp;operation=" in page.text
    )
    bad = client.get("/stats?operation=Op+Nowhere")
    assert bad.status_code == 422 and "operation &#39;Op Nowhere&#39;: no such operation" in bad.text
    got = client.get("/stats/internal/download/cases?format=json&operation=Op+Nowhere")
    assert got.status_code == 422
    api = site.client().get("/api/v1/stats/triage?hashset=bank", headers=site.bearer("analyst")).json()
    assert api["filters"] == {"hashset": "bank"}
