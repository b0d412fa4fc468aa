"""Keep the public Remove my image paths out of the access log: uvicorn logs each request with the client's
address, and the page promises a young person that no address is kept. Other paths log as before."""

from __future__ import annotations

import logging

QUIET_PREFIXES = ("/remove", "/api/v1/remove-requests", "/report")


class QuietPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access: (client_addr, method, full_path, http_version, status_code)
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            return not args[2].startswith(QUIET_PREFIXES)
        return True


def install(logger: logging.Logger | None = None) -> None:
    target = logger or logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuietPaths) for f in target.filters):
        target.addFilter(QuietPaths())
