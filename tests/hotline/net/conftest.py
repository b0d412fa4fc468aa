"""A web server on 127.0.0.1 serving whatever a test puts in it, and a resolver that maps test names.

Nothing here reaches the internet: names end in ``.test`` (RFC 2606) and resolve only through the dict.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from netsafe.hotline.settings import HotlineSettings

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """A local web server: ``site.routes[path] = Route(...)`` or a handler function."""

    port: int
    routes: dict[str, Route | Handler] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.requests.append((self.path, self.headers.get("Host", "")))
            route = site.routes.get(self.path)
            if route is None:
                route = Route(404, b"not here", {"Content-Type": "text/plain"})
            if callable(route):
                route(self)
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            # The client may stop reading at its cap: that is the point of some tests.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _Handler


@pytest.fixture
def site() -> Iterator[Site]:
    holder = Site(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(holder))
    server.daemon_threads = True
    holder.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        server.shutdown()
        server.server_close()


class FakeResolver:
    """Test names -> addresses; anything else fails as DNS does. Counts the lookups."""

    def __init__(self, names: dict[str, Sequence[str]]) -> None:
        self.names = dict(names)
        self.calls: list[str] = []

    def __call__(self, host: str) -> Sequence[str]:
        self.calls.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.names[host])


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver(
        {
            "site.test": ["127.0.0.1"],
            "private.test": ["10.1.2.3"],
            "inside.test": ["127.0.0.2"],
            "metadata.test": ["169.254.169.254"],
            "mixed.test": ["192.168.0.9", "127.0.0.1"],
        }
    )


@pytest.fixture
def settings() -> HotlineSettings:
    return HotlineSettings(fetch_allow_networks=["127.0.0.0/8"], fetch_timeout_seconds=5.0)


def image_bytes(fmt: str = "PNG", colour: tuple[int, int, int] = (200, 30, 30), size: int = 32) -> bytes:
    """A benign generated picture: a flat square with a stripe, so that each colour hashes differently."""
    picture = Image.new("RGB", (size, size), colour)
    for x in range(size):
        picture.putpixel((x, size // 2), (255 - colour[0], 255 - colour[1], 255 - colour[2]))
    out = io.BytesIO()
    picture.save(out, fmt)
    return out.getvalue()


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
