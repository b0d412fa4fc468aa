"""The case pages and API on one store: forms with CSRF, the reasons shown, errors beside the form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netsafe.store.db import open_database
from web.helpers import Service, csrf_of, make_service

from .conftest import make_scan, match


@pytest.fixture
def site(tmp_path: Path) -> Service:
    return make_service(open_database(f"sqlite:///{tmp_path / 'web.db'}"))


def test_pages_open_assess_act_and_show(site: Service) -> None:
    page = site.signed_in("investigator")
    assert page.get("/", follow_redirects=False).headers["location"] == "/cases"
    csrf = csrf_of(page, "/cases")
    form = {"csrf_token": csrf, "reference": "NS-100", "source": "nca", "received": "2026-11-20",
            "operation": "Operation NetSafe", "subject_label": "S1", "subject_name": "Jo Example",
            "subject_birth_year": "1979"}  # fmt: skip
    opened = page.post("/cases", data=form, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/cases/NS-100"
    again = page.post("/cases", data=form)
    assert again.status_code == 409 and "exists already" in again.text
    no_csrf = page.post("/cases", data=form | {"csrf_token": "wrong", "reference": "NS-101"})
    assert no_csrf.status_code == 403
    assess = page.get("/cases/NS-100/assess")
    assert assess.status_code == 200 and "Does the subject live with a child" in assess.text
    answers = {
        "csrf_token": csrf, "answer.lives_with_child": "yes", "source.lives_with_child": "school records",
        "answer.grooming_or_incitement": "unknown", "answer.domestic_abuse": "no",
    }  # fmt: skip
    done = page.post("/cases/NS-100/assess", data=answers, follow_redirects=False)
    assert done.status_code == 303
    shown = page.get("/cases/NS-100").text
    assert "Jo Example (born 1979)" in shown
    assert "Jo Example" not in page.get("/cases").text  # the queue shows labels only
    too_old = page.post("/cases", data=form | {"reference": "NS-102", "subject_birth_year": "1850"})
    alert = re.search(r'role="alert">([^<]*)<', too_old.text)
    assert too_old.status_code == 422 and alert and "1850" in alert.group(1) and "Jo" not in alert.group(1)
    assert "High: access to children (lives with a child) (rule access_to_children)" in shown
    assert "Gaps to fill" in shown and "school records" in shown
    bad = page.post("/cases/NS-100/assess", data=answers | {"answer.lives_with_child": "perhaps"})
    assert bad.status_code == 422 and "use yes, no or unknown" in bad.text
    scan = make_scan(site.db, [("image", [match("A")]), ("video", [])])
    linked = page.post(
        "/cases/NS-100/links", data={"csrf_token": csrf, "scan_id": str(scan), "exhibit": "EX1"}
    )
    assert linked.status_code == 200 and "Unknown to every hash set" in linked.text
    acted = page.post(
        "/cases/NS-100/actions",
        data={"csrf_token": csrf, "kind": "arrest", "on": "2026-11-22", "children_safeguarded": "1"},
    )
    assert acted.status_code == 200 and "Clock stopped" in acted.text
    refused = page.post("/cases/NS-100/actions", data={"csrf_token": csrf, "kind": "charge"})
    assert refused.status_code == 422 and "needs its offence" in refused.text
    queue = page.get("/cases?as_of=2026-12-31").text
    assert re.search(r"NS-100.*clock stopped", queue, re.S)
    operation = page.get("/operations/Operation%20NetSafe").text
    assert "Children safeguarded</dt><dd>1" in operation and "Arrests</dt><dd>1" in operation


def test_api_round_trip_and_the_analyst_refused(site: Service) -> None:
    api = site.client()
    who = site.bearer("investigator")
    body = {"reference": "API-1", "source": "ncmec", "received": "2026-11-30", "subject_name": "Private Name"}
    created = api.post("/api/v1/cases", json=body, headers=who)
    assert created.status_code == 201, created.text
    out = api.post(
        "/api/v1/cases/API-1/assessments",
        json={"answers": {"works_with_children": {"answer": "yes", "source": "DBS"}}},
        headers=who,
    )
    assert out.status_code == 201 and out.json()["level"] == "high"
    assert api.get("/api/v1/cases/API-1", headers=who).json()["subject"]["name"] == "Private Name"
    for path in ("/api/v1/cases", "/api/v1/cases/API-1", "/api/v1/cases/figures", "/api/v1/operations"):
        refused = api.get(path, headers=site.bearer("analyst"))
        assert refused.status_code == 403 and "Private" not in refused.text
    missing = api.get("/api/v1/cases/NOPE-1", headers=who)
    assert missing.status_code == 404 and missing.json()["error"]["message"].startswith("no case 'NOPE-1'")
    invalid = api.post("/api/v1/cases/API-1/actions", json={"kind": "charge"}, headers=who)
    assert invalid.status_code == 422
    assert api.get("/api/v1/cases/model", headers=who).json()["levels"]["high"]["target_days"] == 7
