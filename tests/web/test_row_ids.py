"""Every route taking a row id in its path answers an id beyond the store's 64-bit integers with a 4xx, never
a 500 (the fuzz run found ``/review/{group_id}/grade`` overflowing inside SQLite's driver)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from .helpers import Service

HUGE = str(2**70)


def _int_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for route in routes:
        if hasattr(route, "original_router"):  # an included router, as test_authorisation walks them
            found += _int_routes(route.original_router.routes, prefix + route.include_context.prefix)
            continue
        if not isinstance(route, APIRoute):
            continue
        ints = {p.name for p in route.dependant.path_params if p.field_info.annotation is int}
        if not ints:
            continue
        path = re.sub(
            r"\{(\w+)\}", lambda m, ints=ints: HUGE if m.group(1) in ints else "x", prefix + route.path
        )
        found += [(method, path) for method in sorted(route.methods)]
    return found


def test_an_id_beyond_64_bits_is_refused_by_every_route_not_a_server_error(shared_service: Service) -> None:
    routes = _int_routes(shared_service.app.routes)
    assert len(routes) >= 15  # scans, review, thumbnails, hotline items, hash-set entries
    api = shared_service.client(raise_server_exceptions=False)
    admin = shared_service.bearer("admin")
    page = shared_service.signed_in("admin")
    failures = []
    for method, path in routes:
        if path.startswith("/api/"):
            answer = api.request(method, path, headers=admin, json={"category": "A", "reason": "r"})
        elif method == "GET":
            answer = page.get(path)
        else:
            continue  # a page's POST stops at its CSRF check before it reads the id
        if answer.status_code >= 500:
            failures.append(f"{method} {path}: {answer.status_code}")
    assert not failures, failures
