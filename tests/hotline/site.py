"""A web server on 127.0.0.1 for the hotline's service tests: pages and benign generated pictures."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class LocalSite:
    port: int = 0
    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)  # path -> status, type, body
    hits: list[str] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, body: bytes, content_type: str = "text/html", status: int = 200) -> None:
        self.pages[path] = (status, content_type, body)

    def gone(self, path: str, status: int = 404) -> None:
        self.pages[path] = (status, "text/plain", b"gone")


def _handler(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.hits.append(self.path)
            status, kind, body = site.pages.get(self.path, (404, "text/plain", b"not here"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serve() -> Iterator[LocalSite]:
    site = LocalSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def gallery(names: list[str]) -> bytes:
    imgs = "".join(f'<img src="/{n}" alt="">' for n in names)
    return f"<!doctype html><html><body><h1>gallery</h1>{imgs}</body></html>".encode()
