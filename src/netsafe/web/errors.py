"""Errors as JSON ``{"error": {"code", "message"}}`` with proper status codes, and never a traceback."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from netsafe.errors import Conflict, Forbidden, InvalidInput, NetsafeError, NotFound, Unavailable, by_kind

log = logging.getLogger("netsafe.web")

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


# Each kind of error (netsafe.errors) has one status, whichever route raised it; the handler for an
# exception is the first of its classes found here, so a NotFound that is also a StoreError is a 404.
KIND_STATUS: dict[type[NetsafeError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unavailable: 503,
    NetsafeError: 500,
}


def status_for(err: BaseException) -> int:
    """The status of an error's kind (500 for anything that is not a NetsafeError)."""
    return by_kind(err, KIND_STATUS, 500)


def api_error_for(err: BaseException) -> ApiError:
    """The answer for ``err``, by its kind (for routes that turn an error into an answer themselves)."""
    status = status_for(err)
    return ApiError(status, " ".join(str(err).split()), headers=RETRY_LATER if status == 503 else None)


RETRY_LATER = {"Retry-After": "5"}


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def crash_response(method: str, path: str, exc: Exception) -> JSONResponse:
    """The 500 for an unexpected exception, which is logged by type only: messages can carry hashes or file
    names, which are sensitive."""
    log.error("internal error on %s %s: %s", method, path, type(exc).__name__)
    return error_response(500, "internal", "internal error: the incident was logged")


class WithoutExceptionText(logging.Filter):
    """Keeps an exception's type and stack in a log record, not its message.

    The framework re-raises an unexpected exception after answering its 500, and the server logs it with
    ``str(exc)``, which can carry hashes, file names or SQL parameters; the stack (files, lines, functions)
    is what a maintainer needs and carries none of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            stack = "".join(traceback.format_tb(exc.__traceback__))
            record.exc_text = (
                f"Traceback (most recent call last):\n{stack}{type(exc).__name__} (message withheld)"
            )
            record.exc_info = None
        return True


def withhold_exception_text(logger: logging.Logger) -> None:
    if not any(isinstance(f, WithoutExceptionText) for f in logger.filters):
        logger.addFilter(WithoutExceptionText())


def _validation_message(err: RequestValidationError) -> str:
    parts = []
    for item in err.errors()[:5]:
        loc = ".".join(str(x) for x in item.get("loc", ()) if x != "body")
        parts.append(f"{loc}: {item.get('msg', 'invalid')}" if loc else str(item.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


NOT_FOUND_SHOWN = 120  # characters of an unknown address repeated on the 404 page


def install(app: FastAPI, page_handler: Any = None, page_principal: Any = None) -> None:
    """Register the handlers; ``page_handler(request, status, message)`` renders errors for HTML pages;
    ``page_principal(request)`` (async) finds who is signed in when no route did, before a page 404."""

    def wants_html(request: Request) -> bool:
        return page_handler is not None and not request.url.path.startswith("/api/")

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        if wants_html(request):
            return page_handler(request, exc.status, exc.message, exc.headers)  # type: ignore[no-any-return]
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    for kind, status in KIND_STATUS.items():
        app.add_exception_handler(kind, _kind_handler(status, page_handler if page_handler else None))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "error"
        if wants_html(request):
            if exc.status_code == 404 and message == "Not Found":  # no route: say which address
                path = request.url.path
                shown = path if len(path) <= NOT_FOUND_SHOWN else path[:NOT_FOUND_SHOWN] + "..."
                message = f"There is no page at {shown}: check the address, or use the menu."
            if page_principal is not None:
                await page_principal(request)
            return page_handler(request, exc.status_code, message, exc.headers)  # type: ignore[no-any-return]
        return error_response(
            exc.status_code, STATUS_CODES.get(exc.status_code, "error"), message, dict(exc.headers or {})
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):
            return page_handler(request, 422, _validation_message(exc), None)  # type: ignore[no-any-return]
        return error_response(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        return crash_response(request.method, request.url.path, exc)


def _kind_handler(status: int, page_handler: Any) -> Any:
    headers = RETRY_LATER if status == 503 else None

    async def handle(request: Request, exc: Exception) -> Response:
        message = " ".join(str(exc).split()) or type(exc).__name__
        if status >= 500 and status != 503:
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        if page_handler is not None and not request.url.path.startswith("/api/"):
            return page_handler(request, status, message, headers)  # type: ignore[no-any-return]
        return error_response(status, STATUS_CODES.get(status, "error"), message, headers)

    return handle


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": code.replace("_", " ")}
    for status, code in STATUS_CODES.items()
    if status in (401, 403, 404, 409, 422, 429, 503)
}
