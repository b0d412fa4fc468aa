"""Pages without a browser: sign-in, throttling, CSRF, sign-out, and that a matched image is never shown."""

from __future__ import annotations

import re

from netsafe.audit.models import AuditEventRow
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.store.db import Database

from .helpers import PASSWORD, Service, jpeg_bytes, make_service


def _login_form(client: object) -> str:
    text = client.get("/login").text  # type: ignore[attr-defined]
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def _csrf(text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found is not None
    return found.group(1)


def test_sign_in_and_out(service: Service) -> None:
    client = service.client()
    token = _login_form(client)
    wrong = client.post("/login", data={"username": "analyst", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    no_csrf = client.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": "x"})
    assert no_csrf.status_code == 403
    ok = client.post(
        "/login",
        data={"username": "analyst", "password": PASSWORD, "csrf_token": token, "next": "/hashsets"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/hashsets"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = client.get("/hashsets")
    assert page.status_code == 200 and "analyst (analyst)" in page.text
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    out = client.post("/logout", data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/hashsets", follow_redirects=False).status_code == 303
    with service.db.session() as session:
        actions = [(r.action, r.outcome) for r in session.query(AuditEventRow).order_by(AuditEventRow.seq)]
    assert (
        ("login.failed", "failed") in actions and ("login", "ok") in actions and ("logout", "ok") in actions
    )


def test_open_redirects_are_refused(service: Service) -> None:
    client = service.client()
    token = _login_form(client)
    ok = client.post(
        "/login",
        data={"username": "analyst", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert ok.headers["location"] == "/"


def test_login_throttling(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, login_max_failures=3)
    client = service.client()
    token = _login_form(client)
    codes = [
        client.post(
            "/login", data={"username": "curator", "password": "bad", "csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    # Locked even with the right password until the window passes; other users are unaffected.
    right = client.post("/login", data={"username": "curator", "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 429 and "Retry-After" in right.headers
    service.login("analyst")


def test_a_matched_image_is_never_displayed(service: Service) -> None:
    data = jpeg_bytes(11)
    record = hash_bytes(data, "x.jpg", HashOptions())
    h = service.bearer("curator")
    client = service.client()
    client.post("/api/v1/hashsets", json={"name": "known"}, headers=h)
    client.post(
        "/api/v1/hashsets/known/entries",
        json={"entries": [{"signals": {"sha256": record.digests["sha256"]}, "category": "B"}]},
        headers=h,
    )
    analyst = service.login("analyst")
    csrf = _csrf(analyst.get("/match").text)
    matched = analyst.post("/match", data={"csrf_token": csrf}, files={"file": ("x.jpg", data, "image/jpeg")})
    assert matched.status_code == 200
    assert 'data-matched="true"' in matched.text and "is not displayed" in matched.text
    assert "<img" not in matched.text and "known" in matched.text
    # No match: a preview is offered (client-side, veiled), but the server never echoes the bytes.
    other = analyst.post(
        "/match", data={"csrf_token": csrf}, files={"file": ("y.jpg", jpeg_bytes(12), "image/jpeg")}
    )
    assert 'data-matched="false"' in other.text and 'class="veiled"' in other.text
    assert "data:image" not in other.text
    fragment = analyst.post(
        "/match",
        data={"csrf_token": csrf, "signals": f"sha256 {record.digests['sha256']}"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text and "1 match found" in fragment.text


def test_admin_creates_users_and_tokens_shown_once(service: Service) -> None:
    admin = service.login("admin")
    csrf = _csrf(admin.get("/admin").text)
    made = admin.post(
        "/admin/users", data={"csrf_token": csrf, "name": "dora", "role": "analyst", "password": "x" * 12}
    )
    assert made.status_code == 200 and "user dora added" in made.text
    token = admin.post(
        "/admin/tokens", data={"csrf_token": csrf, "name": "dora-bot", "scopes": ["match"], "user": "dora"}
    )
    secret = re.search(r'id="new-token" readonly value="([^"]+)"', token.text)
    assert secret is not None
    assert (
        service.client().get("/api/v1/ready", headers={"Authorization": f"Bearer {secret.group(1)}"}).json()
    )
    assert secret.group(1) not in admin.get("/admin").text
    too_much = admin.post(
        "/admin/tokens", data={"csrf_token": csrf, "name": "x", "scopes": ["admin"], "user": "dora"}
    )
    assert too_much.status_code == 422 and "may not hold" in too_much.text


def test_audit_page_filters(service: Service) -> None:
    bad = service.client()
    token = _login_form(bad)
    bad.post("/login", data={"username": "ghost", "password": "nope-nope", "csrf_token": token})
    auditor = service.login("auditor")
    page = auditor.get("/audit?action=login.failed")
    assert page.status_code == 200 and "user:ghost" in page.text and "user:auditor" not in page.text
    checked = auditor.get("/audit?check=1")
    assert "Chain intact" in checked.text
    assert auditor.get("/audit?since=yesterday").status_code == 200


def test_match_page_errors_reach_htmx_and_plain_forms(service: Service) -> None:
    analyst = service.login("analyst")
    csrf = _csrf(analyst.get("/match").text)
    fragment = analyst.post("/match", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "choose a file or paste hashes" in fragment.text
    plain = analyst.post("/match", data={"csrf_token": csrf, "signals": "pdq 1234"})
    assert plain.status_code == 422 and "expected 64 hex" in plain.text and "<html" in plain.text


def test_signed_in_404_keeps_the_navigation_and_names_the_address(service: Service) -> None:
    client = service.client()
    token = _login_form(client)
    client.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert 'aria-label="Main"' in page.text and 'href="/hashsets"' in page.text
    assert "analyst (analyst)" in page.text and "There is no page at /no-such-page" in page.text
    signed_out = service.client().get("/no-such-page")
    assert signed_out.status_code == 404 and 'aria-label="Main"' not in signed_out.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_match_form_picks_hash_sets_from_a_list(service: Service) -> None:
    data = jpeg_bytes(13)
    record = hash_bytes(data, "x.jpg", HashOptions())
    h = service.bearer("curator")
    client = service.client()
    for name in ("first", "second"):
        client.post("/api/v1/hashsets", json={"name": name}, headers=h)
    client.post(
        "/api/v1/hashsets/first/entries",
        json={"entries": [{"signals": {"sha256": record.digests["sha256"]}, "category": "A"}]},
        headers=h,
    )
    analyst = service.login("analyst")
    form = analyst.get("/match").text
    assert 'id="hashsets"' not in form  # no free-text box
    assert re.findall(r'<input type="checkbox" name="hashset" value="([^"]+)"', form) == ["first", "second"]
    csrf = _csrf(form)
    wanted = f"sha256 {record.digests['sha256']}"
    only_second = analyst.post("/match", data={"csrf_token": csrf, "signals": wanted, "hashset": ["second"]})
    assert only_second.status_code == 200 and "1 match found" not in only_second.text
    assert 'value="second" checked' in only_second.text
    both = analyst.post(
        "/match", data={"csrf_token": csrf, "signals": wanted, "hashset": ["first", "second"]}
    )
    assert "1 match found" in both.text
    # The import form offers the existing sets too (or a new name typed in).
    curator = service.login("curator").get("/hashsets").text
    assert '<datalist id="set-names"><option value="first"><option value="second">' in curator
