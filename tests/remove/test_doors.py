"""The doors: the public API (strict body, one-line errors, rate limit, no cookie), the status page (a
wrong secret shows nothing more), the analysts' list and the command line."""

from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from netsafe.cli import app as cli_app
from netsafe.store.db import Database
from netsafe.web.quiet_paths import QuietPaths
from web.helpers import Service, make_service

MD5 = "0123456789abcdef0123456789abcdef"
SHA = "ab" * 32
PDQ = "f" * 16 + "0" * 48
BODY = {"items": [{"md5": MD5, "sha256": SHA, "pdq": PDQ, "pdq_quality": 90}], "age_under_18": True}
API = "/api/v1/remove-requests"


@pytest.fixture
def svc(sqlite_db: Database) -> Service:
    return make_service(sqlite_db)


def test_the_public_api_answers_with_a_reference_and_secret_and_sets_no_cookie(svc: Service) -> None:
    got = svc.client().post(API, json=BODY)
    assert got.status_code == 201, got.text
    out = got.json()
    assert re.fullmatch(r"RM-[A-Z2-9]{8}", out["reference"])
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", out["secret"])
    assert "set-cookie" not in got.headers
    listed = svc.client().get(API, headers=svc.bearer("analyst")).json()
    assert [r["reference"] for r in listed] == [out["reference"]]
    assert out["secret"] not in json.dumps(listed)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"items": [], "age_under_18": True}, "items:"),
        ({"items": [{"md5": MD5}], "age_under_18": "yes"}, "age_under_18:"),
        ({"items": [{"md5": MD5, "photo": "AAAA"}], "age_under_18": True}, "items.0.photo: Extra inputs"),
        ({"items": [{"md5": "zz"}], "age_under_18": True}, "items[0].md5:"),
        ({"items": [{"pdq": PDQ, "pdq_quality": 5}], "age_under_18": True}, "give md5 or sha256"),
        ({"items": [{"md5": MD5}], "age_under_18": True, "name": "x"}, "name: Extra inputs"),
    ],
)
def test_bad_bodies_get_one_line_errors_and_store_nothing(svc: Service, body: object, message: str) -> None:
    got = svc.client().post(API, json=body)
    assert got.status_code == 422, got.text
    text = got.json()["error"]["message"]
    assert message in text and "\n" not in text
    assert svc.client().get(API, headers=svc.bearer("analyst")).json() == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=80),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["items", "md5", "sha256", "pdq", "pdq_quality", "age_under_18", "x"]),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_any_body_is_answered_without_a_server_error(shared_service: Service, body: object) -> None:
    got = shared_service.client(raise_server_exceptions=False).post(API, json=body)
    assert got.status_code in (201, 422, 429), got.text
    if got.status_code != 201:
        assert "\n" not in got.json()["error"]["message"]


def test_the_rate_limit_holds_off_a_flood(sqlite_db: Database) -> None:
    svc = make_service(sqlite_db, remove={"rate_per_minute": 2})
    codes = [
        svc.client().post(API, json=BODY | {"items": [{"md5": f"{n:032x}"}]}).status_code for n in range(3)
    ]
    assert codes == [201, 201, 429]
    # The status page shares the budget, and says to wait rather than that the secret was wrong.
    busy = svc.client().post("/remove/status", data={"reference": "RM-AAAAAAAA", "secret": "X"})
    assert busy.status_code == 429 and "wait a minute" in busy.text and "could not find" not in busy.text


def test_the_status_page_needs_the_secret_and_withdraws(svc: Service) -> None:
    out = svc.client().post(API, json=BODY).json()
    client = svc.client()
    wrong = client.post("/remove/status", data={"reference": out["reference"], "secret": "AAAA-AAAA-AAAA"})
    unknown = client.post("/remove/status", data={"reference": "RM-AAAAAAAA", "secret": out["secret"]})
    assert wrong.status_code == unknown.status_code == 200
    for page in (wrong, unknown):
        assert "We could not find that" in page.text and "received" not in page.text
        assert out["reference"] not in page.text
    right = client.post("/remove/status", data={"reference": out["reference"], "secret": out["secret"]})
    assert "we have your fingerprints" in right.text and "set-cookie" not in right.headers
    assert "1 fingerprint." in right.text
    gone = client.post(
        "/remove/status", data={"reference": out["reference"], "secret": out["secret"], "action": "withdraw"}
    )
    assert "took the fingerprints back" in gone.text
    listed = svc.client().get(API, headers=svc.bearer("analyst")).json()
    assert listed[0]["status"] == "withdrawn" and not listed[0]["shared"]


def test_the_remove_page_is_public_and_names_the_helpline(svc: Service) -> None:
    got = svc.client().get("/remove")
    assert got.status_code == 200 and "0800 1111" in got.text and "set-cookie" not in got.headers
    assert '<script src="/static/hashes.js"></script>' in got.text
    assert "https://" not in got.text.replace("https://www.childline.org.uk/", "")


def test_the_analysts_page_lists_requests(svc: Service) -> None:
    out = svc.client().post(API, json=BODY).json()
    page = svc.signed_in("analyst").get("/hotline/remove")
    assert page.status_code == 200 and out["reference"] in page.text
    assert re.search(r"<td>received</td><td>1</td>", page.text)


def test_the_command_line_lists_verifies_and_withdraws(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    svc = make_service(sqlite_db)
    out = svc.client().post(API, json=BODY).json()
    monkeypatch.setenv("NETSAFE_DATABASE_URL", str(sqlite_db.engine.url))
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["remove", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert rows == [
        {
            "reference": out["reference"],
            "status": "received",
            "items": 1,
            "created": rows[0]["created"],
            "upload": False,
            "assessment": None,
        }
    ]
    done = runner.invoke(cli_app, ["remove", "verify", out["reference"], "--user", "analyst"])
    assert done.exit_code == 0 and "verified by user:analyst" in done.stdout
    refused = runner.invoke(cli_app, ["remove", "verify", out["reference"], "--user", "curator"])
    assert refused.exit_code != 0 and "hotline permission" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    gone = runner.invoke(cli_app, ["remove", "withdraw", out["reference"]])
    assert gone.exit_code == 0 and "withdrawn" in gone.stdout
    bad = runner.invoke(cli_app, ["remove", "list", "--status", "nope"])
    assert bad.exit_code == 2 and "is not a status" in bad.output


def test_the_access_log_keeps_no_address_for_the_public_paths() -> None:
    def line(path: str) -> logging.LogRecord:
        args = ("10.1.2.3:5", "POST", path, "1.1", 201)
        return logging.LogRecord("uvicorn.access", 20, "", 0, '%s - "%s %s HTTP/%s" %d', args, None)

    quiet = QuietPaths()
    assert not quiet.filter(line("/api/v1/remove-requests"))
    assert not quiet.filter(line("/remove/status"))
    assert quiet.filter(line("/api/v1/match"))
