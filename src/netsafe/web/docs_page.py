"""A plain HTML reference of the API, rendered on the server from the app's own OpenAPI document.

FastAPI's Swagger UI and ReDoc pages load their JavaScript from a CDN; a service for hash lists must not
make its users' browsers call out to third parties, so this page is self-contained.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return f"list of {_ref_name(schema['items'])}"
    if "anyOf" in schema:
        return " or ".join(_ref_name(s) for s in schema["anyOf"] if isinstance(s, dict))
    return str(schema.get("type", "object"))


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "auth": bool(op.get("security")),
                    "params": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _ref_name(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": [
                        {"type": ctype, "schema": _ref_name(c.get("schema", {}))} for ctype, c in body.items()
                    ],
                    "responses": [
                        {
                            "status": status,
                            "description": r.get("description", ""),
                            "schema": ", ".join(
                                _ref_name(c.get("schema", {})) for c in r.get("content", {}).values()
                            ),
                        }
                        for status, r in op.get("responses", {}).items()
                    ],
                }
            )
    return out


def render(app: FastAPI, env: Environment, openapi_url: str) -> HTMLResponse:
    spec = app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    html = env.get_template("api_docs.html").render(
        title=spec.get("info", {}).get("title", "API"),
        version=spec.get("info", {}).get("version", ""),
        description=spec.get("info", {}).get("description", ""),
        ops=operations(spec),
        schemas={name: json.dumps(s, indent=2) for name, s in sorted(schemas.items())},
        openapi_url=openapi_url,
    )
    return HTMLResponse(html)
