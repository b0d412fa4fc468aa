"""The JSON API: hashing, matching, hash sets, errors and limits."""

from __future__ import annotations

import io
import json
import time

import numpy as np
from PIL import Image

from netsafe.audit.models import AuditEventRow
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.store.db import Database

from .helpers import Service, jpeg_bytes, make_service


def _upload(data: bytes, name: str = "photo.jpg") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, "application/octet-stream")}


def test_hash_gives_what_the_cli_gives(service: Service) -> None:
    data = jpeg_bytes(3)
    got = service.client().post("/api/v1/hash", files=_upload(data), headers=service.bearer("analyst"))
    assert got.status_code == 200
    assert got.json() == hash_bytes(data, "photo.jpg", HashOptions()).as_dict()
    dihedral = service.client().post(
        "/api/v1/hash?dihedral=true", files=_upload(data), headers=service.bearer("analyst")
    )
    assert len(dihedral.json()["pdq_dihedral"]) == 8


def test_bad_files_get_422_with_the_reason_never_500(service: Service) -> None:
    client = service.client()
    h = service.bearer("analyst")
    good = jpeg_bytes(4)
    for data in (good[: len(good) // 3], b"\xff\xd8\xff\xe0" + b"\x00" * 100, b"", b"\x89PNG\r\n\x1a\nxx"):
        got = client.post("/api/v1/hash", files=_upload(data, "../../etc/bad.jpg"), headers=h)
        assert got.status_code == 422, got.text
        body = got.json()["error"]
        assert body["code"] == "unreadable_file" and body["message"].startswith("bad.jpg: ")
        assert client.post("/api/v1/match", files=_upload(data), headers=h).status_code == 422


def test_pixel_and_size_limits(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, max_pixels=100_000, max_upload_bytes=200_000)
    client = service.client()
    h = service.bearer("analyst")
    big = io.BytesIO()
    Image.fromarray(np.zeros((400, 400, 3), np.uint8)).save(big, "PNG")  # 160k pixels, small file
    got = client.post("/api/v1/hash", files=_upload(big.getvalue(), "big.png"), headers=h)
    assert got.status_code == 422 and "pixel" in got.json()["error"]["message"].lower()
    huge = client.post("/api/v1/hash", files=_upload(b"\0" * 400_000), headers=h)
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"


def _entries(service: Service, name: str, entries: list[dict[str, object]]) -> None:
    client = service.client()
    h = service.bearer("curator")
    created = client.post("/api/v1/hashsets", json={"name": name, "profile": "uk-caid"}, headers=h)
    assert created.status_code == 201, created.text
    added = client.post(f"/api/v1/hashsets/{name}/entries", json={"entries": entries}, headers=h)
    assert added.status_code == 200, added.text


def test_match_by_signals_and_by_upload(service: Service) -> None:
    data = jpeg_bytes(7)
    signals = hash_bytes(data, "x.jpg", HashOptions())
    assert signals.pdq is not None
    near = list(bytes.fromhex(signals.pdq))
    near[0] ^= 0b111  # 3 bits away
    _entries(
        service,
        "bank",
        [
            {"signals": {"pdq": bytes(near).hex()}, "category": "A", "source_id": "m1"},
            {"signals": {"md5": signals.digests["md5"]}, "category": "C", "source_id": "m2"},
        ],
    )
    client = service.client()
    h = service.bearer("match-only")
    by_upload = client.post("/api/v1/match", files=_upload(data), headers=h)
    assert by_upload.status_code == 200, by_upload.text
    found = {(m["signal"], m["distance"], m["category"]) for m in by_upload.json()["matches"]}
    assert found == {("pdq", 3, "A"), ("md5", 0, "C")}
    labels = {m["category_label"] for m in by_upload.json()["matches"]}
    assert all(labels)
    by_signals = client.post("/api/v1/match", json={"signals": {"pdq": signals.pdq}}, headers=h)
    assert [(m["hashset"], m["distance"]) for m in by_signals.json()["matches"]] == [("bank", 3)]
    strict = client.post(
        "/api/v1/match", json={"signals": {"pdq": signals.pdq}, "max_distance": 2}, headers=h
    )
    assert strict.json()["matches"] == []
    unknown = client.post(
        "/api/v1/match", json={"signals": {"md5": "0" * 32}, "hashsets": ["nope"]}, headers=h
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_every_match_is_audited_without_the_bytes(service: Service) -> None:
    data = jpeg_bytes(8)
    client = service.client()
    client.post("/api/v1/match", files=_upload(data, "secret-name.jpg"), headers=service.bearer("analyst"))
    client.post("/api/v1/match", json={"signals": {"md5": "a" * 32}}, headers=service.bearer("match-only"))
    with service.db.session() as session:
        rows = session.query(AuditEventRow).filter(AuditEventRow.action == "match").all()
        events = [(r.actor, r.ip, json.loads(r.details)) for r in rows]
    assert [e[0] for e in events] == ["token:tok-analyst@analyst", "token:match-only"]
    [upload] = events[0][2]["queries"]
    assert upload["kind"] == "upload" and upload["matches"] == 0 and upload["size"] == len(data)
    assert upload["signals"]["sha256"] and upload["query"] == "secret-name.jpg"
    assert events[0][2]["matches"] == 0
    assert [q["signals"] for q in events[1][2]["queries"]] == [{"md5": "a" * 32}]
    assert all(e[1] == "testclient" or e[1] for e in events)
    # No part of the file's bytes is ever in the log.
    with service.db.session() as session:
        blob = " ".join(r.details for r in session.query(AuditEventRow).all())
    assert data[200:232].hex() not in blob


def test_hashset_management_round_trip(service: Service) -> None:
    client = service.client()
    h = service.bearer("curator")
    text = "\n".join(f"{i:032x}  file{i}.jpg" for i in range(1, 21)) + "\n"
    imported = client.post(
        "/api/v1/hashsets/list1/import",
        files={"file": ("list.md5", text.encode(), "text/plain")},
        data={"profile": "uk-caid"},
        headers=h,
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["added"] == 20 and imported.json()["committed"]
    listing = client.get("/api/v1/hashsets", headers=service.bearer("analyst")).json()
    assert [(s["name"], s["entries"], s["version"]) for s in listing] == [("list1", 20, 1)]
    detail = client.get("/api/v1/hashsets/list1", headers=h).json()
    # The one shape of `netsafe hashset show --json`: the profile's categories, uncategorised last.
    assert [(c["category"], c["entries"]) for c in detail["categories"]] == [
        ("A", 0),
        ("B", 0),
        ("C", 0),
        ("NP", 0),
        (None, 20),
    ]
    assert detail["signals"]["md5"] == 20
    exported = client.get("/api/v1/hashsets/list1/export?format=md5sum", headers=h)
    assert exported.status_code == 200 and exported.text.count("\n") == 20
    bad = client.post(
        "/api/v1/hashsets/list1/import",
        files={"file": ("bad.md5", b"zzzz  file.jpg\n" + text.encode(), "text/plain")},
        data={"format": "md5sum"},
        headers=h,
    )
    assert bad.status_code == 422 and "nothing imported" in bad.json()["error"]["message"]
    assert client.get("/api/v1/hashsets/list1", headers=h).json()["entries"] == 20
    dup = client.post("/api/v1/hashsets", json={"name": "list1"}, headers=h)
    assert dup.status_code == 409
    gone = client.delete("/api/v1/hashsets/list1", headers=h)
    assert gone.status_code == 200 and client.get("/api/v1/hashsets/list1", headers=h).status_code == 404
    with service.db.session() as session:
        actions = [r.action for r in session.query(AuditEventRow).order_by(AuditEventRow.seq)]
    assert {"hashset.import", "hashset.export", "hashset.delete"} <= set(actions)


def test_remove_entries_stops_matching(service: Service) -> None:
    md5s = [f"{i:032x}" for i in range(1, 5)]
    _entries(service, "bank", [{"signals": {"md5": m}, "category": "A"} for m in md5s])
    client = service.client()
    h = service.bearer("curator")

    def matched(md5: str) -> list[int]:
        found = client.post("/api/v1/match", json={"signals": {"md5": md5}}, headers=h)
        return [m["entry_id"] for m in found.json()["matches"]]

    [first] = matched(md5s[0])
    gone = client.delete(f"/api/v1/hashsets/bank/entries/{first}", headers=h)
    assert gone.status_code == 200, gone.text
    assert gone.json() == {"name": "bank", "version": 2, "removed": 1, "entry_ids": [first]}
    assert matched(md5s[0]) == []
    again = client.delete(f"/api/v1/hashsets/bank/entries/{first}", headers=h)
    assert again.status_code == 404 and "no entry with id" in again.json()["error"]["message"]
    [second] = matched(md5s[1])
    bulk = client.post(
        "/api/v1/hashsets/bank/entries/remove",
        json={"entry_ids": [second], "hashes": [f"md5:{md5s[2]}"]},
        headers=h,
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["removed"] == 2 and bulk.json()["version"] == 3
    assert matched(md5s[1]) == [] and matched(md5s[2]) == [] and len(matched(md5s[3])) == 1
    bad = client.post("/api/v1/hashsets/bank/entries/remove", json={"hashes": ["zz"]}, headers=h)
    assert bad.status_code == 422
    analyst = client.delete("/api/v1/hashsets/bank/entries/1", headers=service.bearer("analyst"))
    assert analyst.status_code == 403
    events = client.get(
        "/api/v1/audit/events", params={"action": "hashset.remove"}, headers=service.bearer("auditor")
    )
    assert events.status_code == 200, events.text
    removals = [e for e in events.json() if e["action"] == "hashset.remove"]
    assert [e["details"]["removed"] for e in removals] == [2, 1]  # newest first
    assert all(e["actor"] and e["target"] == "hashset:bank" for e in removals)


def test_errors_are_json_everywhere(service: Service) -> None:
    client = service.client()
    h = service.bearer("admin")
    cases = [
        client.post("/api/v1/match", content=b"{not json", headers=h | {"content-type": "application/json"}),
        client.post("/api/v1/match", json={"signals": {"pdq": "00" * 16}}, headers=h),
        client.post("/api/v1/match", json={"signals": {}}, headers=h),
        client.post("/api/v1/match", content=b"x", headers=h | {"content-type": "text/plain"}),
        client.get("/api/v1/nothing-here", headers=h),
        client.post("/api/v1/users", json={"name": "x"}, headers=h),
        client.post("/api/v1/users", json={"name": "bob", "role": "king", "password": "x" * 12}, headers=h),
    ]
    assert [c.status_code for c in cases] == [422, 422, 422, 415, 404, 422, 422]
    for c in cases:
        assert set(c.json()["error"]) == {"code", "message"} and c.json()["error"]["message"]


def test_token_revocation_and_rate_limit(sqlite_db: Database) -> None:
    service = make_service(sqlite_db)
    service.app.state.netsafe.limiter.__init__(60, 3)  # 3 at once, then 1 a second
    client = service.client()
    h = service.bearer("match-only")
    codes = [client.get("/api/v1/ready", headers=h).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429
    limited = client.get("/api/v1/ready", headers=h)
    assert limited.headers["Retry-After"] and limited.json()["error"]["code"] == "rate_limited"
    # Another token has its own bucket.
    assert client.get("/api/v1/ready", headers=service.bearer("analyst")).status_code == 200
    admin = service.bearer("admin")
    assert client.post("/api/v1/tokens/match-only/revoke", headers=admin).status_code == 200
    time.sleep(1.1)  # the per-worker token cache lives a second
    assert client.get("/api/v1/ready", headers=h).status_code == 401


def test_cookie_api_calls_need_the_csrf_header(service: Service) -> None:
    client = service.login("analyst")
    body = {"signals": {"md5": "b" * 32}}
    refused = client.post("/api/v1/match", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    page = client.get("/match").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/api/v1/match", json=body, headers={"X-CSRF-Token": token}).status_code == 200
