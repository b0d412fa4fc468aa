"""Lookups through every door give the same answer: ``netsafe match``, ``POST /api/v1/match`` (JSON signals
and multipart upload) and the ``/match`` page, over one SQLite store.

Each case is run through each door and the matches compared (hash set, entry, list id, signal, distance,
category); errors are compared by kind (the CLI's exit code against the API's and the page's status).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from netsafe.cli import app as cli_app
from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashsets.model import Entry
from netsafe.samples import synthetic_photo, write_video
from netsafe.store import repositories as repo
from netsafe.store.db import Database, open_database
from web.helpers import Service, csrf_of, make_service

Row = tuple[str, int, str | None, str, int, str | None]  # hashset, entry, list id, signal, distance, category
MD5_KNOWN = "0123456789abcdef" * 2
SHA256_KNOWN = "fedcba9876543210" * 4
MD5_BARE = "ab" * 16  # an entry the list gave no id of its own


@dataclass
class World:
    service: Service
    db: Database
    env: dict[str, str]
    photo: Path
    video: Path
    pdq: str
    entry_ids: dict[str, int]  # list id (or SET-bare) -> netsafe entry id


def _near(pdq: str, bits: int) -> str:
    raw = bytearray(bytes.fromhex(pdq))
    for b in range(bits):
        raw[b] ^= 1
    return raw.hex()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("doors")
    url = f"sqlite:///{tmp / 'store.db'}"
    env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_INDEX_DIR": str(tmp / "indexes")}
    mp = pytest.MonkeyPatch()
    mp.setenv("NETSAFE_INDEX_DIR", env["NETSAFE_INDEX_DIR"])  # the service's matcher shares the CLI's folder
    photo = tmp / "photo.jpg"
    synthetic_photo(7, 640, 480).save(photo, "JPEG", quality=90)
    video = tmp / "clip.mp4"
    # Four scenes of a second each (benign generated pictures): enough distinct frames for vPDQ's shares.
    write_video(
        video, [np.asarray(synthetic_photo(s, 160, 120)) for s in (1, 2, 3, 4) for _ in range(5)], fps=5
    )
    photo_rec = hash_file(str(photo), HashOptions())
    video_rec = hash_file(str(video), HashOptions())
    assert photo_rec.pdq is not None and video_rec.vpdq, "generated media must hash"
    db = open_database(url)
    ids: dict[str, int] = {}
    with db.session() as s:
        bank = repo.create_set(s, "bank", "uk-caid")
        version = repo.next_version(s, bank)
        repo.upsert_entries(
            s,
            bank.id,
            version,
            [
                Entry(signals={"md5": MD5_KNOWN}, source_id="MID-1", category="A"),
                Entry(signals={"sha256": SHA256_KNOWN}, source_id="MID-2", category="B"),
                Entry(signals={"pdq": _near(photo_rec.pdq, 3)}, source_id="MID-3", category="C"),
                Entry(signals={"md5": MD5_BARE}, category="B"),
                Entry(vpdq=video_rec.vpdq, source_id="MID-V", category="A"),
            ],
        )
        other = repo.create_set(s, "other", "uk-caid")
        repo.upsert_entries(
            s, other.id, repo.next_version(s, other), [Entry(signals={"md5": photo_rec.digests["md5"]})]
        )
    with db.session() as s:
        for hs in ("bank", "other"):
            row = repo.find_set(s, hs)
            assert row is not None
            every = [int(r[0]) for chunk in repo.iter_columns(s, row.id, ("md5",)) for r in chunk]
            for entry_id, (_category, source_id) in repo.categories(s, every).items():
                ids[source_id or f"{hs}-bare"] = entry_id
    service = make_service(db)
    yield World(service, db, env, photo, video, photo_rec.pdq, ids)
    db.dispose()
    mp.undo()


# ---------------------------------------------------------------- the doors


def cli(world: World, *args: str | Path) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(cli_app, ["match", *map(str, args), "--workers", "1"], env=world.env)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.stderr


def api_json(world: World, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    client = world.service.client()
    response = client.post("/api/v1/match", json=body, headers=world.service.bearer("analyst"))
    return response.status_code, response.json()


def api_upload(world: World, path: Path, **fields: str) -> tuple[int, dict[str, Any]]:
    client = world.service.client()
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    response = client.post("/api/v1/match", files=files, data=fields, headers=world.service.bearer("analyst"))
    return response.status_code, response.json()


def page(world: World, path: Path | None = None, **fields: str) -> tuple[int, str]:
    client = world.service.signed_in("analyst")
    data = {"csrf_token": csrf_of(client, "/match")} | fields
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")} if path else None
    response = client.post("/match", data=data, files=files)
    return response.status_code, response.text


def rows(matches: list[dict[str, Any]]) -> set[Row]:
    return {
        (m["hashset"], m["entry_id"], m["source_id"] or f"#{m['entry_id']}", m["signal"], m["distance"],
         m["category"])
        for m in matches
    }  # fmt: skip


_RESULT = re.compile(
    r'<div class="result" data-matched="(true|false)" data-kind="(\w+)">(.*?)</dl>\s*</div>', re.S
)
_ROW = re.compile(
    r'<tr><td><a href="[^"]*">([^<]*)</a></td><td class="entry" title="netsafe entry (\d+)">([^<]*)</td>'
    r"<td>(\w+)[^<]*</td><td>(\d+)[^<]*</td>\s*<td>([^<]*?)(?: \([^<]*\))?</td></tr>"
)


def page_results(text: str) -> list[tuple[str, set[Row]]]:
    """(kind, rows) of each result block the page shows."""
    out = []
    for _matched, kind, block in _RESULT.findall(text):
        found = set()
        for hashset, entry, list_id, signal, distance, category in _ROW.findall(block):
            cat = html.unescape(category)
            found.add((html.unescape(hashset), int(entry), html.unescape(list_id), signal, int(distance),
                       None if cat == "–" else cat))  # fmt: skip
        out.append((kind, found))
    return out


# ---------------------------------------------------------------- lookups


def test_typed_hashes_two_at_once_agree_through_every_door(world: World) -> None:
    typed = [MD5_KNOWN, f"pdq:{_near(world.pdq, 5)}", SHA256_KNOWN, MD5_BARE]
    code, by_cli, err = cli(world, *(a for h in typed for a in ("--hash", h)), "--json")
    assert code == 0, err
    assert [r["kind"] for r in by_cli] == ["hash"] * 4 and [r["query"] for r in by_cli] == typed
    want = [rows(r["matches"]) for r in by_cli]
    e = world.entry_ids
    assert want == [
        {("bank", e["MID-1"], "MID-1", "md5", 0, "A")},
        {("bank", e["MID-3"], "MID-3", "pdq", 2, "C")},  # 5 bits from the photo, the entry 3 from it
        {("bank", e["MID-2"], "MID-2", "sha256", 0, "B")},  # 64 hex: tried as SHA-256 and PDQ
        {("bank", e["bank-bare"], f"#{e['bank-bare']}", "md5", 0, "B")},
    ]
    # The API takes one query's named signals: the signals the CLI read from each typed hash.
    for result in by_cli:
        status, body = api_json(world, {"signals": result["signals"]})
        assert status == 200, body
        assert rows(body["matches"]) == rows(result["matches"])
        assert body["matches"] == result["matches"]  # the same JSON, key for key
        assert body["kind"] == "signals" and body["signals"] == result["signals"]
    # The page: several hashes pasted are several queries, each with its own result.
    status, text = page(world, signals="\n".join(typed[:2]) + "\n" + " ".join(typed[2:]))
    assert status == 200
    shown = page_results(text)
    assert [kind for kind, _ in shown] == ["hash"] * 4
    assert [found for _, found in shown] == want
    assert "This file matches" not in text and "This hash matches a known entry" in text


def test_an_uploaded_image_agrees_through_every_door(world: World) -> None:
    code, [by_cli], err = cli(world, world.photo, "--json")
    assert code == 0, err
    want = rows(by_cli["matches"])
    assert {(r[0], r[3], r[4]) for r in want} == {("bank", "pdq", 3), ("other", "md5", 0)}
    status, body = api_upload(world, world.photo)
    assert status == 200, body
    assert body["matches"] == by_cli["matches"]
    assert body["signals"] == by_cli["signals"] and body["pdq_quality"] == by_cli["pdq_quality"]
    assert body["kind"] == "upload" and by_cli["kind"] == "file"
    status, text = page(world, world.photo)
    assert status == 200
    assert page_results(text) == [("upload", want)]
    assert "This file matches a known entry. It is not displayed." in text


def test_an_uploaded_video_matches_by_vpdq_through_every_door(world: World) -> None:
    code, [by_cli], err = cli(world, world.video, "--json")
    assert code == 0, err
    [hit] = by_cli["matches"]
    assert (hit["signal"], hit["source_id"], hit["category"]) == ("vpdq", "MID-V", "A")
    assert hit["query_match_percent"] == hit["compared_match_percent"] == 100.0 and hit["segments"]
    status, body = api_upload(world, world.video)
    assert status == 200, body
    assert body["matches"] == by_cli["matches"]  # frames included: shares and segments too
    assert body["vpdq_frames"] == by_cli["vpdq_frames"] > 0
    status, text = page(world, world.video)
    assert status == 200
    assert page_results(text) == [("upload", rows(by_cli["matches"]))]


def test_options_agree_through_every_door(world: World) -> None:
    near = _near(world.pdq, 5)  # 2 bits from the entry
    for distance, expected in ((1, set()), (2, {"MID-3"})):
        code, [by_cli], _ = cli(world, "--hash", f"pdq:{near}", "--max-distance", str(distance), "--json")
        status, body = api_json(world, {"signals": {"pdq": near}, "max_distance": distance})
        _, text = page(world, signals=f"pdq {near}", max_distance=str(distance))
        assert code == 0 and status == 200
        assert {m["source_id"] for m in by_cli["matches"]} == expected
        assert body["matches"] == by_cli["matches"]
        assert [found for _, found in page_results(text)] == [rows(by_cli["matches"])]
    # A set's own distance (NAME:N) and only the sets named.
    code, [by_cli], _ = cli(world, world.photo, "--hashset", "bank:1", "--json")
    status, body = api_upload(world, world.photo, hashsets="bank:1")
    _, text = page(world, world.photo, hashsets="bank:1")
    assert code == 0 and status == 200 and by_cli["matches"] == [] and body["matches"] == []
    assert page_results(text) == [("upload", set())]


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class Bad:
    name: str
    cli: tuple[str, ...]
    api: dict[str, Any] | None  # JSON body
    form: dict[str, str]  # the upload's extra fields (API multipart) and the page's
    status: int
    words: str


BAD = [
    Bad("unknown set", ("--hash", MD5_KNOWN, "--hashset", "nope"),
        {"signals": {"md5": MD5_KNOWN}, "hashsets": ["nope"]}, {"hashsets": "nope"}, 404,
        "no hash set named 'nope'"),
    Bad("bad hash", ("--hash", "md5:xyz"), {"signals": {"md5": "xyz"}}, {}, 422, "not a hexadecimal string"),
    Bad("distance over the cap", ("--hash", MD5_KNOWN, "--max-distance", "65"),
        {"signals": {"md5": MD5_KNOWN}, "max_distance": 65}, {"max_distance": "65"}, 422, "64"),
    Bad("a set's distance over the cap", ("--hash", MD5_KNOWN, "--hashset", "bank:65"),
        {"signals": {"md5": MD5_KNOWN}, "hashsets": ["bank:65"]}, {"hashsets": "bank:65"}, 422, "0-64 bits"),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_errors_are_the_same_kind_through_every_door(world: World, bad: Bad) -> None:
    code, out, err = cli(world, *bad.cli, "--json")
    assert code == 2 and out == [], err
    [line] = [ln for ln in err.splitlines() if ln.strip()]
    assert line.startswith("netsafe match: error: ") and bad.words in line
    if bad.api is not None:
        status, body = api_json(world, bad.api)
        assert status == bad.status and bad.words in body["error"]["message"], body
    if bad.form:
        status, body = api_upload(world, world.photo, **bad.form)
        assert status == bad.status and bad.words in body["error"]["message"], body
        status, text = page(world, world.photo, **bad.form)
    else:
        status, text = page(world, signals=bad.cli[1])
    assert status == bad.status and bad.words in html.unescape(text) and 'class="result"' not in text


# ---------------------------------------------------------------- mends


def test_the_cli_table_shows_the_lists_own_id(world: World) -> None:
    result = CliRunner().invoke(
        cli_app, ["match", "--hash", MD5_KNOWN, "--hash", MD5_BARE], env=world.env, terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "MID-1" in result.stdout and f"#{world.entry_ids['bank-bare']}" in result.stdout
    assert f" {world.entry_ids['MID-1']} " not in result.stdout.replace("│", " ")


def test_every_lookup_is_audited_once_without_contents(world: World) -> None:
    from netsafe.audit.models import AuditEventRow

    with world.db.session() as s:
        before = s.query(AuditEventRow).filter(AuditEventRow.action == "match").count()
    cli(world, world.photo, "--json")
    api_upload(world, world.photo)
    page(world, signals=f"{MD5_KNOWN} {MD5_BARE}")
    with world.db.session() as s:
        events = (
            s.query(AuditEventRow).filter(AuditEventRow.action == "match").order_by(AuditEventRow.seq).all()
        )[before:]
        details = [json.loads(e.details) for e in events]
    assert [e.actor.split(":")[0] for e in events] == ["cli", "token", "user"]
    assert [[q["kind"] for q in d["queries"]] for d in details] == [["file"], ["upload"], ["hash", "hash"]]
    assert [d["matches"] for d in details] == [2, 2, 2]
    assert details[0]["queries"][0]["signals"] == details[1]["queries"][0]["signals"]
    blob = " ".join(e.details for e in events)
    assert world.photo.read_bytes()[300:332].hex() not in blob


def test_the_page_looks_two_typed_hashes_up_as_two_queries(world: World) -> None:
    # It read them as one file's signals (the second MD5 replacing the first) and said "This file matches".
    status, text = page(world, signals=f"{MD5_KNOWN}\n{MD5_BARE}")
    assert status == 200
    assert text.count('class="result"') == 2
    assert "This file matches" not in text and text.count("This hash matches a known entry") == 2
    assert "MID-1" in text  # the list's own id, not netsafe's row id
