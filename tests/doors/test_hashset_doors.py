"""The hash-set operations through every door: the CLI, the API and (where one exists) the pages.

One table of operations runs through each door on the same store; the results must agree (same counts,
the same JSON shape for ``show``) and so must the errors, by kind: exit 2 where the API answers 404 or 422,
exit 1 where it answers 409 or 503 (and a file read in full with invalid records: exit 1, 422).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import Doors, csv_list, vics_list

# The pairs of (exit code, HTTP status) one kind of error may have.
SAME_KIND = {(2, 404), (2, 422), (1, 409), (1, 503), (1, 422)}
VOLATILE = ("name", "created", "updated")


def _stable(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in VOLATILE}


IMPORT_KEYS = ("format", "profile", "version", "read", "added", "updated", "rejected", "created", "committed")


class CliDoor:
    def __init__(self, doors: Doors) -> None:
        self.cli = doors.cli

    def create(self, name: str, profile: str = "uk-caid") -> dict[str, Any]:
        return _stable(self.cli.json("hashset", "create", name, "--profile", profile))

    def import_file(self, name: str, path: Path) -> dict[str, Any]:
        out = self.cli.json("hashset", "import", path, "--name", name)
        return {k: out[k] for k in IMPORT_KEYS}

    def add(self, name: str, entries: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
        lines = tmp / f"{name}.jsonl"
        lines.write_text("".join(json.dumps(e) + "\n" for e in entries))
        out = self.cli.json("hashset", "add", name, "--entries", lines)
        return {k: out[k] for k in ("version", "added", "updated")}

    def show(self, name: str) -> dict[str, Any]:
        return _stable(self.cli.json("hashset", "show", name))

    def listed(self, name: str) -> dict[str, Any]:
        result = self.cli("hashset", "list", "--json")
        [found] = [json.loads(x) for x in result.stdout.splitlines() if json.loads(x)["name"] == name]
        return _stable(found)

    def export(self, name: str) -> list[str]:
        result = self.cli("hashset", "export", name, "--format", "md5sum")
        assert result.exit_code == 0, result.output
        return sorted(result.stdout.splitlines())

    def remove(self, name: str, hashes: list[str]) -> dict[str, Any]:
        args = [a for h in hashes for a in ("--hash", h)]
        out = self.cli.json("hashset", "remove", name, *args)
        return {"version": out["version"], "removed": out["removed"]}

    def rename(self, name: str, new: str) -> dict[str, Any]:
        return _stable(self.cli.json("hashset", "rename", name, new))

    def delete(self, name: str) -> dict[str, Any]:
        out = self.cli.json("hashset", "delete", name, "--yes")
        return {"entries": out["entries"], "version": out["version"]}


class ApiDoor:
    def __init__(self, doors: Doors) -> None:
        self.api = doors.api
        self.h = doors.curator

    def _ok(self, response: Any) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    def create(self, name: str, profile: str = "uk-caid") -> dict[str, Any]:
        body = {"name": name, "profile": profile}
        return _stable(self._ok(self.api.post("/api/v1/hashsets", json=body, headers=self.h)))

    def import_file(self, name: str, path: Path) -> dict[str, Any]:
        files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
        out = self._ok(self.api.post(f"/api/v1/hashsets/{name}/import", files=files, headers=self.h))
        return {k: out[k] for k in IMPORT_KEYS}

    def add(self, name: str, entries: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
        url = f"/api/v1/hashsets/{name}/entries"
        out = self._ok(self.api.post(url, json={"entries": entries}, headers=self.h))
        return {k: out[k] for k in ("version", "added", "updated")}

    def show(self, name: str) -> dict[str, Any]:
        return _stable(self._ok(self.api.get(f"/api/v1/hashsets/{name}", headers=self.h)))

    def listed(self, name: str) -> dict[str, Any]:
        [found] = [s for s in self._ok(self.api.get("/api/v1/hashsets", headers=self.h)) if s["name"] == name]
        return _stable(found)

    def export(self, name: str) -> list[str]:
        response = self.api.get(
            f"/api/v1/hashsets/{name}/export", params={"format": "md5sum"}, headers=self.h
        )
        assert response.status_code == 200, response.text
        return sorted(response.text.splitlines())

    def remove(self, name: str, hashes: list[str]) -> dict[str, Any]:
        body = {"hashes": hashes}
        out = self._ok(self.api.post(f"/api/v1/hashsets/{name}/entries/remove", json=body, headers=self.h))
        return {"version": out["version"], "removed": out["removed"]}

    def rename(self, name: str, new: str) -> dict[str, Any]:
        return _stable(
            self._ok(self.api.patch(f"/api/v1/hashsets/{name}", json={"name": new}, headers=self.h))
        )

    def delete(self, name: str) -> dict[str, Any]:
        out = self._ok(self.api.delete(f"/api/v1/hashsets/{name}", headers=self.h))
        return {"entries": out["entries"], "version": out["version"]}


ADDED = [
    {"signals": {"md5": "a" * 32}, "category": "A", "source_id": "x1"},
    {"signals": {"sha1": "b" * 40, "md5": "c" * 32}, "category": "NP", "tags": ["t"]},
    {"signals": {"pdq": "f" * 64}},
]


def _run_everything(door: CliDoor | ApiDoor, tag: str, tmp: Path) -> dict[str, Any]:
    name = f"{tag}-bank"
    out: dict[str, Any] = {"create": door.create(name)}
    out["import vics"] = door.import_file(name, vics_list(tmp / f"{tag}.json", 6))
    out["import csv"] = door.import_file(name, csv_list(tmp / f"{tag}.csv", 4))
    out["add"] = door.add(name, ADDED, tmp)
    out["show"] = door.show(name)
    out["list"] = door.listed(name)
    out["export"] = door.export(name)
    out["remove"] = door.remove(name, [f"md5:{'a' * 32}", f"{1:032x}"])
    out["rename"] = door.rename(name, f"{tag}.renamed")
    out["show after"] = door.show(f"{tag}.renamed")
    out["delete"] = door.delete(f"{tag}.renamed")
    return out


def test_every_operation_agrees_through_the_cli_and_the_api(doors: Doors, tmp_path: Path) -> None:
    by_cli = _run_everything(CliDoor(doors), "cli", tmp_path)
    by_api = _run_everything(ApiDoor(doors), "api", tmp_path)
    for op in by_cli:
        assert by_cli[op] == by_api[op], op
    # And what they agree on is right.
    assert by_cli["import vics"]["added"] == 6 and by_cli["import csv"]["added"] == 4
    assert by_cli["add"] == {"version": 3, "added": 3, "updated": 0}
    shown = by_cli["show"]
    assert shown["entries"] == 13 and shown["version"] == 3
    assert [c["category"] for c in shown["categories"]] == ["A", "B", "C", "NP", None]
    assert sum(c["entries"] for c in shown["categories"]) == 13
    assert {c["category"]: c["entries"] for c in shown["categories"]}["NP"] == 1
    assert shown["signals"]["md5"] == 12 and shown["signals"]["pdq"] == 1
    assert len(by_cli["export"]) == 12
    assert by_cli["remove"] == {"version": 4, "removed": 2}
    assert by_cli["show after"]["entries"] == 11
    assert by_cli["delete"] == {"entries": 11, "version": 4}
    assert doors.cli("hashset", "list", "--json").stdout == ""


def _page_rows(html: str) -> list[tuple[str, str, str]]:
    body = html.split("<caption>Entries per category</caption>", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", body)


def test_the_pages_show_and_import_what_the_other_doors_do(doors: Doors, tmp_path: Path) -> None:
    listing = vics_list(tmp_path / "list.json", 6)
    form = {"csrf_token": doors.csrf(), "name": "page-bank", "format": "", "profile": "uk-caid"}
    files = {"file": ("list.json", listing.read_bytes(), "application/json")}
    imported = doors.page.post("/hashsets/import", data=form, files=files)
    assert imported.status_code == 200 and "imported 6 records into page-bank (version 1)" in imported.text
    by_api = ApiDoor(doors).import_file("api-bank", listing)
    by_cli = CliDoor(doors).show("page-bank")
    assert ApiDoor(doors).show("api-bank") == by_cli and by_api["added"] == 6
    page = doors.page.get("/hashsets/page-bank")
    assert page.status_code == 200
    rows = _page_rows(page.text)
    assert [(code, int(n)) for code, _, n in rows] == [
        (c["category"] or "–", c["entries"]) for c in by_cli["categories"]
    ]
    assert [label for _, label, _ in rows] == [c["label"] for c in by_cli["categories"]]


def test_the_page_title_is_the_set_name_only(doors: Doors, tmp_path: Path) -> None:
    ApiDoor(doors).create("titled")
    page = doors.page.get("/hashsets/titled")
    assert page.status_code == 200
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title is not None and title.group(1).strip() == "titled · netsafe"
    assert page.text.count("Entries per signal") == 1


# --- errors ------------------------------------------------------------------------------------------------

# (what, CLI arguments, API request (method, path, json), expected exit, expected status, words)
ERRORS: list[tuple[str, tuple[str, ...], tuple[str, str, Any], int, int, str]] = [
    ("unknown set", ("show", "nope"), ("GET", "/api/v1/hashsets/nope", None), 2, 404, "no hash set named"),
    ("export unknown", ("export", "nope", "--format", "csv"),
     ("GET", "/api/v1/hashsets/nope/export?format=csv", None), 2, 404, "no hash set named"),
    ("delete unknown", ("delete", "nope", "--yes"), ("DELETE", "/api/v1/hashsets/nope", None), 2, 404,
     "no hash set named"),
    ("bad name", ("create", "..hidden"), ("POST", "/api/v1/hashsets", {"name": "..hidden"}), 2, 422,
     "is not allowed"),
    ("name with a space", ("create", "a b"), ("POST", "/api/v1/hashsets", {"name": "a b"}), 2, 422,
     "is not allowed"),
    ("bad profile", ("create", "p", "--profile", "nope"),
     ("POST", "/api/v1/hashsets", {"name": "p", "profile": "nope"}), 2, 422, "unknown grading profile"),
    ("name taken", ("create", "base"), ("POST", "/api/v1/hashsets", {"name": "base"}), 1, 409,
     "exists already"),
    ("bad category", ("add", "base", "--hash", f"md5:{'d' * 32}", "--category", "Z"),
     ("POST", "/api/v1/hashsets/base/entries", {"entries": [{"signals": {"md5": "d" * 32},
                                                             "category": "Z"}]}),
     2, 422, "is not in profile uk-caid"),
    ("bad hash", ("add", "base", "--hash", "md5:zz"),
     ("POST", "/api/v1/hashsets/base/entries", {"entries": [{"signals": {"md5": "zz"}}]}), 2, 422, "md5"),
    ("add to unknown", ("add", "nope", "--hash", f"md5:{'d' * 32}"),
     ("POST", "/api/v1/hashsets/nope/entries", {"entries": [{"signals": {"md5": "d" * 32}}]}), 2, 404,
     "no hash set named"),
    ("remove unknown hash", ("remove", "base", "--hash", f"md5:{'e' * 32}"),
     ("POST", "/api/v1/hashsets/base/entries/remove", {"hashes": [f"md5:{'e' * 32}"]}), 2, 404,
     "no entry with hash"),
    ("rename to a bad name", ("rename", "base", "x/y"),
     ("PATCH", "/api/v1/hashsets/base", {"name": "x/y"}), 2, 422, "is not allowed"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "args", "request_", "code", "status", "words"), ERRORS, ids=[e[0] for e in ERRORS]
)
def test_errors_have_one_kind_through_every_door(
    doors: Doors,
    what: str,
    args: tuple[str, ...],
    request_: tuple[str, str, Any],
    code: int,
    status: int,
    words: str,
) -> None:
    assert (code, status) in SAME_KIND
    assert doors.cli("hashset", "create", "base").exit_code == 0
    result = doors.cli("hashset", *args)
    assert result.exit_code == code, result.output
    [line] = [ln for ln in result.stderr.splitlines() if ": error: " in ln]
    assert words in line and "Traceback" not in result.output
    method, path, body = request_
    answer = doors.api.request(method, path, json=body, headers=doors.curator)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]["message"]


def test_duplicates_in_one_add_are_refused_by_both_doors(doors: Doors, tmp_path: Path) -> None:
    assert doors.cli("hashset", "create", "base").exit_code == 0
    twice = [{"signals": {"md5": "d" * 32}}, {"signals": {"md5": "D" * 32}}]
    lines = tmp_path / "twice.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in twice))
    result = doors.cli("hashset", "add", "base", "--entries", lines)
    assert result.exit_code == 2 and "twice.jsonl:2: the same entry as twice.jsonl:1" in result.stderr
    answer = doors.api.post("/api/v1/hashsets/base/entries", json={"entries": twice}, headers=doors.curator)
    assert answer.status_code == 422 and "entries[1]: the same entry as entries[0]" in answer.text
    assert CliDoor(doors).show("base")["version"] == 0  # nothing changed, not even the version


def test_the_pages_answer_errors_by_the_same_kinds(doors: Doors, tmp_path: Path) -> None:
    missing = doors.page.get("/hashsets/nope")
    assert missing.status_code == 404 and "no hash set named" in missing.text
    form = {"csrf_token": doors.csrf(), "name": "..bad", "format": "", "profile": "uk-caid"}
    files = {"file": ("l.json", vics_list(tmp_path / "l.json", 2).read_bytes(), "application/json")}
    refused = doors.page.post("/hashsets/import", data=form, files=files)
    assert refused.status_code == 422 and "is not allowed" in refused.text
    assert doors.cli("hashset", "list", "--json").stdout == ""


def test_an_import_whose_every_record_is_rejected_leaves_no_set(doors: Doors, tmp_path: Path) -> None:
    bad = vics_list(tmp_path / "bad.json", 3, bad=True)
    rejects = tmp_path / "bad.rejects.jsonl"  # never the current folder
    result = doors.cli(
        "hashset", "import", bad, "--name", "empty", "--skip-invalid", "--rejects", rejects, "--json"
    )
    assert result.exit_code == 1, result.output
    assert doors.cli("hashset", "list", "--json").stdout == ""  # no empty set left behind
    assert "every record was rejected" in result.stderr
    files = {"file": ("bad.json", bad.read_bytes(), "application/json")}
    answer = doors.api.post(
        "/api/v1/hashsets/empty2/import", files=files, data={"skip_invalid": "true"}, headers=doors.curator
    )
    assert answer.status_code == 422 and "every record was rejected" in answer.text
    assert doors.cli("hashset", "list", "--json").stdout == ""
    # Both were audited as failed imports that created nothing.
    events = [json.loads(x) for x in doors.cli("audit", "export").stdout.splitlines()]
    imports = [e for e in events if e["action"] == "hashset.import"]
    assert [(e["outcome"], e["details"]["created"]) for e in imports] == [("failed", False)] * 2


def test_names_outside_the_rule_stay_reachable_from_the_cli(doors: Doors, tmp_path: Path) -> None:
    from netsafe.store import repositories as repo

    with doors.db.session() as session:  # a set made before the rule
        repo.create_set(session, "old/name", "uk-caid")
    listed = doors.cli("hashset", "list")
    assert (
        listed.exit_code == 0 and "netsafe hashset rename" in listed.stderr and "'old/name'" in listed.stderr
    )
    page = doors.page.get("/hashsets")
    assert "made before the name rule" in page.text and 'href="/hashsets/old%2Fname"' not in page.text
    lines = tmp_path / "one.jsonl"
    lines.write_text(json.dumps({"signals": {"md5": "1" * 32}}) + "\n")
    assert doors.cli("hashset", "add", "old/name", "--entries", lines).exit_code == 0
    assert CliDoor(doors).show("old/name")["entries"] == 1
    assert len(CliDoor(doors).export("old/name")) == 1
    assert CliDoor(doors).rename("old/name", "old-name")["entries"] == 1
    assert ApiDoor(doors).show("old-name")["entries"] == 1
    assert "netsafe hashset rename" not in doors.cli("hashset", "list").stderr


def test_delete_removes_the_saved_index_whichever_door(doors: Doors, tmp_path: Path) -> None:
    def saved() -> list[str]:
        return sorted(p.name for p in doors.index_dir.iterdir()) if doors.index_dir.is_dir() else []

    for door_name, delete in (
        ("cli", lambda n: doors.cli("hashset", "delete", n, "--yes").exit_code == 0),
        (
            "api",
            lambda n: doors.api.delete(f"/api/v1/hashsets/{n}", headers=doors.curator).status_code == 200,
        ),
    ):
        name = f"{door_name}-indexed"
        ApiDoor(doors).create(name)
        ApiDoor(doors).add(name, [{"signals": {"md5": "5" * 32}}], tmp_path)  # this worker catches up now
        match = doors.api.post("/api/v1/match", json={"signals": {"md5": "5" * 32}}, headers=doors.curator)
        assert match.status_code == 200 and match.json()["matches"], match.text  # builds and saves the index
        before = saved()
        assert before, "the match should have saved an index"
        assert delete(name)
        assert len(saved()) == len(before) - 1, door_name
