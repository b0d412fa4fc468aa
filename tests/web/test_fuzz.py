"""Fuzz every operation of the API from its own OpenAPI document (schemathesis): valid and invalid inputs,
never a server error, every error the documented JSON. Examples are bounded so the run stays short."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from netsafe.store.db import open_database

from .helpers import make_service

pytestmark = pytest.mark.slow

EXAMPLES = 12
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-failures.txt"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_fails_with_a_server_error(tmp_path: Path, mode: GenerationMode) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'fuzz.db'}")
    service = make_service(db, max_upload_bytes=1_000_000)
    auth = service.bearer("admin")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", service.app, headers=auth)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            # Report, do not shrink or replay: keeps the run short, and the store changes between calls.
            phases=[Phase.explicit, Phase.generate],
            report_multiple_bugs=False,
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=auth)
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"code", "message"}, response.text
            elif "application/json" in str(response.headers.get("content-type", "")):
                case.validate_response(response, checks=[response_schema_conformance])

        try:
            run()
        except Unsatisfiable:
            continue  # nothing to make invalid (no parameters, no body)
        except Exception as err:
            inner = getattr(err, "exceptions", None) or [err]
            failures.append(f"{operation.label}: " + " | ".join(str(e)[:600] for e in inner))
    db.dispose()
    if failures:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text("\n\n".join(failures))
    assert not failures, "\n\n".join(failures)
