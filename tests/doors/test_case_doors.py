"""Cases through the CLI and the API on one store: the same operations give the same answers, and the
same errors by kind (exit 2 where the API answers 404 or 422, exit 1 where it answers 409)."""

from __future__ import annotations

from typing import Any

from .conftest import Doors

SAME_KIND = {(2, 404), (2, 422), (1, 409)}
VOLATILE = ("created", "at", "added", "timeline", "assessments", "assessment", "days_left", "overdue")


def _stable(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in VOLATILE}


def test_cli_and_api_agree(doors: Doors) -> None:
    cli, api = doors.cli, doors.api
    who = doors.service.bearer("investigator")

    def call(method: str, path: str, **body: Any) -> Any:
        got = api.request(method, f"/api/v1{path}", headers=who, json=body or None)
        assert got.status_code in (200, 201), got.text
        return got.json()

    # The same referral opened through each door, then the same assessment and action.
    by_cli = cli.json("case", "add", "CLI-1", "--source", "nca", "--received", "2026-11-25")
    by_api = call("POST", "/cases", reference="API-1", source="nca", received="2026-11-25")
    assert _stable(by_cli) | {"reference": "X"} == _stable(by_api) | {"reference": "X"}
    args = ["--answer", "lives_with_child=yes", "--answer", "grooming_or_incitement=unknown"]
    assessed_cli = cli.json("case", "assess", "CLI-1", *args, "--user", "investigator")
    assessed_api = call(
        "POST",
        "/cases/API-1/assessments",
        answers={"lives_with_child": {"answer": "yes"}, "grooming_or_incitement": {"answer": "unknown"}},
    )
    assert assessed_cli | {"reference": "X"} == assessed_api | {"reference": "X"}
    assert assessed_cli["level"] == "high" and assessed_cli["gaps"]
    acted_cli = cli.json(
        "case", "action", "CLI-1", "--kind", "seizure", "--devices", "3", "--on", "2026-11-27",
        "--user", "investigator",
    )  # fmt: skip
    acted_api = call("POST", "/cases/API-1/actions", kind="seizure", devices=3, on="2026-11-27")
    assert acted_cli | {"reference": "X"} == acted_api | {"reference": "X"}

    # The queue, one case, the figures and the model read the same through both.
    queue_cli = cli.json("case", "list", "--as-of", "2026-12-01")
    queue_api = api.get("/api/v1/cases?as_of=2026-12-01", headers=who).json()
    assert queue_cli == queue_api and [c["reference"] for c in queue_cli] == ["API-1", "CLI-1"]
    shown_cli = cli.json("case", "show", "CLI-1")
    shown_api = call("GET", "/cases/CLI-1")
    assert _stable(shown_cli) == _stable(shown_api)
    assert cli.json("case", "figures", "--as-of", "2026-12-01") == call(
        "GET", "/cases/figures?as_of=2026-12-01"
    )
    assert cli.json("case", "model", "show") == call("GET", "/cases/model")

    # Errors: the same kind through each door.
    errors = [
        (("case", "show", "NOPE"), ("GET", "/cases/NOPE", {})),
        (("case", "add", "CLI-1", "--source", "nca", "--received", "2026-11-25"),
         ("POST", "/cases", {"reference": "CLI-1", "source": "nca", "received": "2026-11-25"})),
        (("case", "assess", "CLI-1", "--answer", "no_such_factor=yes", "--user", "investigator"),
         ("POST", "/cases/CLI-1/assessments", {"answers": {"no_such_factor": {"answer": "yes"}}})),
        (("case", "link", "CLI-1", "--scan", "4242"), ("POST", "/cases/CLI-1/links", {"scan_id": 4242})),
    ]  # fmt: skip
    for args, (method, path, body) in errors:
        result = cli(*args)
        got = api.request(method, f"/api/v1{path}", headers=who, json=body or None)
        assert (result.exit_code, got.status_code) in SAME_KIND, (args, result.exit_code, got.status_code)
        message = result.stderr.strip().removeprefix("netsafe case: error: ")
        assert message == got.json()["error"]["message"], (message, got.text)
