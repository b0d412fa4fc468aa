"""Template environment and helpers shared by the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from netsafe.accounts.roles import Permission
from netsafe.services.accounts import Principal

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.globals["Permission"] = Permission

STATUS_TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Cannot use this input",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Not ready",
}


def page(
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {"principal": principal, "csrf": principal.csrf_token if principal else None, **context},
        status_code=status_code,
        headers=headers,
    )


def render_error(request: Request, status: int, message: str, headers: dict[str, str] | None) -> Response:
    principal = getattr(request.state, "principal", None)
    return page(
        request,
        "error.html",
        principal if isinstance(principal, Principal) else None,
        status_code=status,
        headers=headers,
        title=STATUS_TITLES.get(status, "Error"),
        message=message,
        status=status,
    )
