"""Table-driven: every route of the app, every kind of caller, the answer each must get.

A new route fails ``test_table_covers_every_route`` until it is added here with the permission it needs.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from netsafe.accounts.roles import ROLE_PERMISSIONS, Permission, Role

from .helpers import Service

PUBLIC = "public"
LOGIN = "login"  # any signed-in caller
M, R, W, A, AU, C = (
    Permission.MATCH,
    Permission.HASHSETS_READ,
    Permission.HASHSETS_WRITE,
    Permission.ADMIN,
    Permission.AUDIT_READ,
    Permission.CASES,
)
REP, HL, HLA = Permission.REPORT, Permission.HOTLINE, Permission.HOTLINE_AUTHORISE
ST = Permission.STATS
DT, DTM = Permission.DETERRENCE, Permission.DETERRENCE_MANAGE

API_ROUTES: dict[tuple[str, str], str | Permission] = {
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/api/v1/ready"): LOGIN,
    ("GET", "/api/v1/openapi.json"): LOGIN,
    ("GET", "/api/v1/docs"): LOGIN,
    ("POST", "/api/v1/hash"): M,
    ("POST", "/api/v1/match"): M,
    ("GET", "/api/v1/hashsets"): R,
    ("POST", "/api/v1/hashsets"): W,
    ("GET", "/api/v1/hashsets/{name}"): R,
    ("DELETE", "/api/v1/hashsets/{name}"): W,
    ("PATCH", "/api/v1/hashsets/{name}"): W,
    ("POST", "/api/v1/hashsets/{name}/entries"): W,
    ("POST", "/api/v1/hashsets/{name}/entries/remove"): W,
    ("DELETE", "/api/v1/hashsets/{name}/entries/{entry_id}"): W,
    ("POST", "/api/v1/hashsets/{name}/import"): W,
    ("GET", "/api/v1/hashsets/{name}/export"): R,
    ("GET", "/api/v1/users"): A,
    ("POST", "/api/v1/users"): A,
    ("POST", "/api/v1/users/{name}/disable"): A,
    ("POST", "/api/v1/users/{name}/enable"): A,
    ("GET", "/api/v1/tokens"): A,
    ("POST", "/api/v1/tokens"): A,
    ("POST", "/api/v1/tokens/{name}/revoke"): A,
    ("GET", "/api/v1/audit/events"): AU,
    ("GET", "/api/v1/audit/verify"): AU,
    ("GET", "/api/v1/audit/anchor"): AU,
    ("GET", "/api/v1/audit/export"): AU,
    # Cases hold what is known about suspects: investigators and admins only, never analysts.
    ("GET", "/api/v1/cases"): C,
    ("POST", "/api/v1/cases"): C,
    ("GET", "/api/v1/cases/figures"): C,
    ("GET", "/api/v1/cases/model"): C,
    ("GET", "/api/v1/cases/{reference}"): C,
    ("POST", "/api/v1/cases/{reference}/assessments"): C,
    ("POST", "/api/v1/cases/{reference}/links"): C,
    ("POST", "/api/v1/cases/{reference}/actions"): C,
    ("POST", "/api/v1/cases/{reference}/status"): C,
    ("GET", "/api/v1/operations"): C,
    ("GET", "/api/v1/operations/{name}"): C,
    ("POST", "/api/v1/reports"): REP,
    ("GET", "/api/v1/reports"): HL,
    ("GET", "/api/v1/reports/{reference}"): HL,
    ("POST", "/api/v1/reports/{reference}/assessment"): HL,
    ("POST", "/api/v1/reports/{reference}/capture"): HL,
    ("POST", "/api/v1/reports/{reference}/trace"): HL,
    ("POST", "/api/v1/reports/{reference}/close"): HL,
    ("POST", "/api/v1/hotline/notify"): HL,
    ("GET", "/api/v1/hotline/notices"): HL,
    ("POST", "/api/v1/hotline/notices/{batch}/authorise"): HLA,
    ("POST", "/api/v1/hotline/monitor"): HL,
    ("GET", "/api/v1/hotline/urllist"): HL,
    ("GET", "/api/v1/hotline/stats"): HL,
    # Everyone signed in sees published figures; the counts before disclosure control need `stats`.
    ("GET", "/api/v1/stats/{section}"): LOGIN,
    ("GET", "/api/v1/stats/{section}/internal"): ST,
    ("POST", "/api/v1/deterrence/check"): DT,
    ("GET", "/api/v1/deterrence/lists"): DTM,
    ("GET", "/api/v1/deterrence/lists/{name}/versions"): DTM,
    ("POST", "/api/v1/deterrence/sync-hotline"): DTM,
    ("GET", "/api/v1/deterrence/counts"): DTM,
    ("GET", "/api/v1/deterrence/counts/published"): DT,
    ("POST", "/api/v1/deterrence/lists/{name}/import"): DTM,
    ("POST", "/api/v1/deterrence/lists/{name}/remove"): DTM,
    ("GET", "/api/v1/deterrence/export"): DTM,
    ("POST", "/api/v1/scans"): Permission.SCANS_RUN,
    ("GET", "/api/v1/scans/{scan_id}/progress"): Permission.SCANS,
    ("GET", "/api/v1/review/items/{item_id}/thumbnail"): Permission.REVIEW,
    ("GET", "/api/v1/scans"): Permission.SCANS,
    ("GET", "/api/v1/scans/{scan_id}"): Permission.SCANS,
    ("GET", "/api/v1/scans/{scan_id}/report/{file}"): Permission.SCANS,
    ("GET", "/api/v1/scans/{scan_id}/review"): Permission.REVIEW,
    ("POST", "/api/v1/scans/{scan_id}/review/undo"): Permission.REVIEW,
    ("POST", "/api/v1/scans/{scan_id}/review/import"): Permission.REVIEW,
    ("POST", "/api/v1/review/{group_id}/grade"): Permission.REVIEW,
    ("POST", "/api/v1/review/{group_id}/ignore"): Permission.REVIEW,
    ("POST", "/api/v1/review/items/grade"): Permission.REVIEW,
    ("POST", "/api/v1/review/items/ignore"): Permission.REVIEW,
    ("POST", "/api/v1/review/items/{item_id}/settle"): Permission.REVIEW_SETTLE,
    ("POST", "/api/v1/review/items/{item_id}/unblur"): Permission.REVIEW,
    ("GET", "/api/v1/review/disputes"): Permission.REVIEW_SETTLE,
    ("POST", "/api/v1/review/time"): Permission.REVIEW,
    ("GET", "/api/v1/review/exposure"): Permission.REVIEW,
    ("GET", "/api/v1/review/exposure/totals"): A,
    ("GET", "/api/v1/review/settings"): Permission.REVIEW,
    ("PUT", "/api/v1/review/settings"): Permission.REVIEW,
    ("POST", "/api/v1/remove-requests"): PUBLIC,  # a young person's hashes: no account, by design
    ("POST", "/api/v1/remove-requests/upload"): PUBLIC,  # the second way: one picture, no account
    ("GET", "/api/v1/remove-requests"): HL,
    ("POST", "/api/v1/remove-requests/{reference}/verify"): HL,
    ("POST", "/api/v1/remove-requests/{reference}/withdraw"): HL,
}

PAGE_ROUTES: dict[tuple[str, str], str | Permission | None] = {
    ("GET", "/"): LOGIN,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): LOGIN,
    ("GET", "/match"): M,
    ("POST", "/match"): M,
    ("GET", "/hashsets"): R,
    ("POST", "/hashsets/import"): W,
    ("GET", "/hashsets/{name}"): R,
    ("GET", "/admin"): A,
    ("POST", "/admin/users"): A,
    ("POST", "/admin/users/{name}/{action}"): A,
    ("POST", "/admin/tokens"): A,
    ("POST", "/admin/tokens/{name}/revoke"): A,
    ("GET", "/audit"): AU,
    ("GET", "/cases"): C,
    ("POST", "/cases"): C,
    ("GET", "/cases/{reference}"): C,
    ("GET", "/cases/{reference}/assess"): C,
    ("POST", "/cases/{reference}/assess"): C,
    ("POST", "/cases/{reference}/actions"): C,
    ("POST", "/cases/{reference}/links"): C,
    ("POST", "/cases/{reference}/status"): C,
    ("GET", "/operations/{name}"): C,
    ("GET", "/report"): PUBLIC,
    ("POST", "/report"): PUBLIC,
    ("GET", "/remove"): PUBLIC,
    ("GET", "/remove/status"): PUBLIC,
    ("POST", "/remove/status"): PUBLIC,
    ("GET", "/hotline/remove"): HL,
    ("GET", "/hotline"): HL,
    ("GET", "/hotline/reports/{reference}"): HL,
    ("POST", "/hotline/reports/{reference}/assess"): HL,
    ("GET", "/hotline/items/{item_id}/thumb"): HL,
    ("GET", "/hotline/items/{item_id}/clear"): HL,
    ("GET", "/hotline/items/{item_id}/reveal"): HL,
    ("GET", "/hotline/notices"): HL,
    ("POST", "/hotline/notices/{batch}/authorise"): HLA,
    ("GET", "/stats"): LOGIN,
    ("GET", "/stats/internal"): ST,
    ("GET", "/stats/download/{section}"): LOGIN,
    ("GET", "/stats/internal/download/{section}"): ST,
    ("GET", "/warning"): PUBLIC,
    ("GET", "/warning/help/{variant}/{link}"): PUBLIC,
    ("GET", "/deterrence"): DTM,
    ("GET", "/scans"): Permission.SCANS,
    ("POST", "/scans"): Permission.SCANS_RUN,
    ("GET", "/scans/{scan_id}"): Permission.SCANS,
    ("GET", "/scans/{scan_id}/progress"): Permission.SCANS,
    ("GET", "/scans/{scan_id}/reports/{name}"): Permission.SCANS,
    ("GET", "/scans/{scan_id}/review"): Permission.REVIEW,
    ("POST", "/review/settings"): Permission.REVIEW,
}

CALLERS = [r.value for r in Role]


def _path(template: str) -> str:
    return (
        template.replace("{name}", "nosuchthing")
        .replace("{reference}", "nosuchthing")
        .replace("{action}", "disable")
        .replace("{entry_id}", "1")
        .replace("{action}", "disable")
        .replace("{entry_id}", "1")
        .replace("{reference}", "HL-20260101-AAAAAA")
        .replace("{item_id}", "1")
        .replace("{batch}", "nosuchbatch")
        .replace("{section}", "cases")
        .replace("{variant}", "traced")
        .replace("{link}", "chat")
    )
    out = template.replace("{name}", "nosuchthing").replace("{action}", "disable").replace("{entry_id}", "1")
    for key in ("{scan_id}", "{group_id}", "{item_id}"):
        out = out.replace(key, "999")
    return out.replace("{file}", "report.json")


def _allowed(required: str | Permission | None, perms: frozenset[Permission]) -> bool:
    return required in (PUBLIC, LOGIN) or required in perms


def _walk(routes: list[Any], prefix: str = "") -> set[tuple[str, str]]:
    """Every (method, path) of the app, through included routers (plain or FastAPI's wrapped form)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(m, prefix + route.path) for m in route.methods - {"HEAD"}}
        elif hasattr(route, "original_router"):
            found |= _walk(route.original_router.routes, prefix + route.include_context.prefix)
    return found


def test_table_covers_every_route(shared_service: Service) -> None:
    found = _walk(shared_service.app.routes)
    assert len(found) > 30
    assert found == set(API_ROUTES) | set(PAGE_ROUTES)


@pytest.mark.parametrize(("method", "path"), sorted(API_ROUTES))
def test_api_route_refuses_who_it_should(shared_service: Service, method: str, path: str) -> None:
    required = API_ROUTES[(method, path)]
    client = shared_service.client()
    url = _path(path)
    anonymous = client.request(method, url)
    if required == PUBLIC:
        # A public POST without its body is refused as invalid, not as unauthenticated.
        assert anonymous.status_code == (422 if method == "POST" else 200), anonymous.text
        return
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    assert client.request(method, url, headers=shared_service.bearer("expired")).status_code == 401
    bad = client.request(method, url, headers={"Authorization": "Bearer nst_0123456789abcdef_nope"})
    assert bad.status_code == 401
    callers = {r: ROLE_PERMISSIONS[Role(r)] for r in CALLERS} | {"match-only": frozenset({M})}
    if required == C:  # the privacy rule of issue 13, whatever the table of roles says elsewhere
        assert Permission.CASES not in callers["analyst"] and Permission.CASES not in callers["senior"]
    for who, perms in callers.items():
        got = client.request(method, url, headers=shared_service.bearer(who))
        if _allowed(required, perms):
            assert got.status_code not in (401, 403), (who, got.status_code, got.text)
        else:
            assert got.status_code == 403, (who, got.status_code, got.text)
            assert got.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path"), sorted(PAGE_ROUTES))
def test_page_route_refuses_who_it_should(shared_service: Service, method: str, path: str) -> None:
    required = PAGE_ROUTES[(method, path)]
    url = _path(path)
    anonymous = shared_service.client().request(method, url, follow_redirects=False)
    if required == PUBLIC:
        # login form, or its POST without a form; the warning page's help link is a redirect
        assert anonymous.status_code in (200, 403, 422) or (anonymous.status_code == 303 and "/help/" in url)
        return
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    # A bearer token is for the API: pages want a person's session.
    with_token = shared_service.client().request(
        method, url, headers=shared_service.bearer("admin"), follow_redirects=False
    )
    assert with_token.status_code == 303
    for who in CALLERS:
        # Signing out ends the session: that test gets sessions of its own.
        client = shared_service.login(who) if path == "/logout" else shared_service.signed_in(who)
        csrf = _csrf(client)
        data = {"csrf_token": csrf} if method == "POST" else None
        got = client.request(method, url, data=data, follow_redirects=False)
        if _allowed(required, ROLE_PERMISSIONS[Role(who)]):
            assert got.status_code != 403 and not (
                got.status_code == 303 and got.headers["location"].startswith("/login?")
            ), (who, got.status_code)
        else:
            assert got.status_code == 403, (who, got.status_code)


def _csrf(client: object) -> str:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    # Every signed-in page carries the session's token in the sign-out form.
    import re

    home = client.get("/", follow_redirects=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found is not None
    return found.group(1)
