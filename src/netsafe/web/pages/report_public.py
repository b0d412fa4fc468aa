"""The public report form: no login, no JavaScript needed, no address or user agent stored.

Abuse is held off by a rate limit kept in this process's memory only: the client's address is hashed with
a key drawn at start-up (never written anywhere) and forgotten a minute later.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from netsafe.errors import InvalidInput
from netsafe.hotline import intake
from netsafe.web.auth import client_ip
from netsafe.web.pages.render import page
from netsafe.web.state import state_of

router = APIRouter(include_in_schema=False)
WINDOW = 60.0
MAX_CLIENTS = 100_000  # remembered at once; the oldest are forgotten first


class MemoryLimit:
    """At most ``per_minute`` reports per client in any minute, in memory only."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._key = secrets.token_bytes(16)
        self._seen: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when allowed (and counted), else the seconds to wait."""
        moment = time.monotonic() if now is None else now
        key = hashlib.blake2b(client.encode(), key=self._key, digest_size=16).digest()
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and moment - times[0] >= WINDOW:
                times.popleft()
            if len(times) >= self.per_minute:
                self._seen[key] = times
                return WINDOW - (moment - times[0])
            times.append(moment)
            self._seen[key] = times
            while len(self._seen) > MAX_CLIENTS:
                self._seen.popitem(last=False)
            return 0.0


def _limit(request: Request) -> MemoryLimit:
    app_state = request.app.state
    limit: MemoryLimit | None = getattr(app_state, "hotline_public_limit", None)
    if limit is None:
        limit = MemoryLimit(state_of(request).settings.hotline.report_rate_per_minute)
        app_state.hotline_public_limit = limit
    return limit


def _form(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {
        "error": None,
        "field": None,
        "reference": None,
        "url": "",
        "description": "",
    }
    values.update(context)
    return page(request, "report_public.html", None, status_code=status_code, **values)


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> Response:
    return _form(request)


@router.post("/report", response_class=HTMLResponse)
def report_submit(
    request: Request,
    url: Annotated[str, Form(max_length=8192)] = "",
    description: Annotated[str, Form(max_length=20_000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    wait = _limit(request).take(client_ip(request))
    if wait > 0:
        return _form(
            request,
            429,
            error=f"Too many reports from here just now: please try again in {int(wait) + 1} seconds.",
            url=url,
            description=description,
        )
    try:
        out = intake.submit(
            state_of(request).db, intake.PUBLIC, [intake.NewReport(url, description, email)], "public"
        )[0]
    except InvalidInput as err:
        field = str(err).split(":", 1)[0]
        return _form(request, 422, error=str(err), field=field, url=url, description=description)
    return _form(request, 201, reference=out.reference)
