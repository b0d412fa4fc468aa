"""Fetch one reported URL without letting the URL reach into the operator's own network (SSRF defence).

Every hop (the URL and each redirect) is resolved once, by an injectable resolver; the address is checked
against the forbidden ranges (loopback, private, link-local, reserved, multicast, unspecified, shared, ...)
unless the operator allowed its network; and the connection goes to exactly that address, whatever the name
resolves to a moment later, so DNS rebinding has nothing to rebind. The Host header and the TLS server name
stay the URL's name, so virtual hosting and certificate checks work as in a browser.

The body is streamed under a byte cap (the rest is cut off and ``truncated`` set) and the whole fetch,
redirects included, under one time cap that also bounds every single read: a server that trickles a byte at
a time is cut off when the time is up, not when it stops sending.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from netsafe.errors import Rejected, Unavailable
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.sniffing import sniff_content_type

# host name -> its addresses (as text). A failed lookup raises OSError (socket.gaierror) or returns nothing.
Resolver = Callable[[str], Sequence[str]]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchRefused(Rejected):
    """The URL may not be fetched at all (SSRF defence, a scheme other than http(s), a malformed URL)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class FetchFailed(Unavailable):
    """The URL could not be fetched now (DNS, connection refused, time-out, too many redirects, ...)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class FetchBudget:
    """What is left for one report: bytes (all fetches together) and, optionally, a monotonic deadline."""

    bytes_left: int
    deadline: float | None = None

    @classmethod
    def for_report(cls, settings: HotlineSettings, *, seconds: float | None = None) -> FetchBudget:
        deadline = None if seconds is None else time.monotonic() + seconds
        return cls(bytes_left=settings.fetch_max_report_bytes, deadline=deadline)

    @property
    def exhausted(self) -> bool:
        return self.bytes_left <= 0 or (self.deadline is not None and time.monotonic() >= self.deadline)


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    final_url: str
    status: int
    redirects: list[str]  # the URL of each redirect followed, in order (final_url is the last one)
    headers: dict[str, str]  # the final response's, names in lower case
    body: bytes
    truncated: bool  # the body was cut off at the byte cap
    content_type: str  # sniffed from the bytes (see sniffing.py), never taken from the headers alone
    address: str = ""  # the address the final response came from
    elapsed_seconds: float = 0.0
    declared_type: str | None = field(default=None)  # the Content-Type header, for the record only


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def fetch(
    url: str,
    *,
    settings: HotlineSettings,
    budget: FetchBudget | None = None,
    resolver: Resolver | None = None,
    max_bytes: int | None = None,
    referer: str | None = None,
) -> Fetched:
    """GET ``url`` by hand, hop by hop, under the SSRF rules and the caps of ``settings`` (and ``budget``).

    A 4xx or 5xx answer is returned, not raised: a 404 is what the removal monitor looks for.
    """
    resolve = resolver or system_resolver
    started = time.monotonic()
    deadline = started + settings.fetch_timeout_seconds
    if budget is not None and budget.deadline is not None:
        deadline = min(deadline, budget.deadline)
    cap = settings.fetch_max_item_bytes if max_bytes is None else max_bytes
    if budget is not None:
        cap = min(cap, budget.bytes_left)
    if cap <= 0:
        raise FetchFailed("budget", "the byte limit for this report is used up")
    allowed = [ipaddress.ip_network(net) for net in settings.fetch_allow_networks]

    current = _parse(url)
    redirects: list[str] = []
    while True:
        addresses = _usable_addresses(current, resolve, allowed, deadline, redirected=bool(redirects))
        response, address = _connect(current, addresses, settings, deadline, referer)
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                if len(redirects) >= settings.fetch_max_redirects:
                    raise FetchFailed(
                        "redirects",
                        f"more than {settings.fetch_max_redirects} redirects (fetch_max_redirects)",
                    )
                try:
                    current = _parse(str(current.join(location.strip())))
                except FetchRefused as err:
                    raise FetchRefused(err.reason, f"redirect refused: {err}") from None
                except (httpx.InvalidURL, ValueError):
                    raise FetchRefused("url", "a redirect points to a malformed URL") from None
                redirects.append(str(current))
                continue
            body, truncated = _read_body(response, cap, deadline, settings.fetch_timeout_seconds)
        finally:
            response.close()
        if budget is not None:
            budget.bytes_left -= len(body)
        headers = {name.lower(): value for name, value in response.headers.items()}
        declared = headers.get("content-type")
        return Fetched(
            url=url,
            final_url=str(current),
            status=response.status_code,
            redirects=redirects,
            headers=headers,
            body=body,
            truncated=truncated,
            content_type=sniff_content_type(body, declared),
            address=address,
            elapsed_seconds=time.monotonic() - started,
            declared_type=declared,
        )


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchRefused("url", "not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchRefused("scheme", f"only http and https URLs are fetched, not {parsed.scheme or 'none'!r}")
    if not parsed.host:
        raise FetchRefused("url", "the URL names no host")
    # Credentials in a reported URL belong to someone else: never send them. The fragment never leaves.
    return parsed.copy_with(userinfo=b"", fragment=None)


def forbidden_reason(address: str, allowed: Iterable[Network]) -> str | None:
    """Why connecting to ``address`` is refused (a word for the message), or None when it is allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip.version == net.version and ip in net for net in allowed):
        return None
    for word, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return word
    if not ip.is_global:
        return "non-public"  # shared address space (100.64/10) and the like
    if isinstance(ip, ipaddress.IPv6Address) and (ip.sixtofour is not None or ip.teredo is not None):
        return "tunnelled"  # 6to4 / Teredo embed an IPv4 address that may be private
    return None


def _usable_addresses(
    url: httpx.URL, resolve: Resolver, allowed: list[Network], deadline: float, *, redirected: bool
) -> list[str]:
    """Every address of the host that may be connected to, in the resolver's order; refused if none."""
    host = url.raw_host.decode("ascii")  # IDNA-encoded: what DNS is asked, and safe in a message
    try:
        ipaddress.ip_address(host)
        addresses: Sequence[str] = [host]
    except ValueError:
        try:
            addresses = _lookup(resolve, host, deadline)
        except (OSError, UnicodeError):
            raise FetchFailed("dns", f"the host {host} could not be resolved") from None
        if not addresses:
            raise FetchFailed("dns", f"the host {host} could not be resolved") from None
    literal = list(addresses) == [host]
    usable: list[str] = []
    refused: list[str] = []
    for address in addresses:
        try:
            why = forbidden_reason(address, allowed)
        except ValueError:
            refused.append(f"a malformed address {address!r}")
            continue
        if why is None:
            usable.append(address)
        else:
            refused.append(f"a {why} address" if literal else f"a {why} address ({address})")
    if usable:
        return usable
    hop = "redirect refused" if redirected else "refused"
    where = "is" if literal else "resolves to"
    raise FetchRefused(
        "private",
        f"{hop}: {host} {where} {refused[0]}; allow its network in fetch_allow_networks only for a test "
        "or an internal source",
    )


def _connect(
    url: httpx.URL, addresses: list[str], settings: HotlineSettings, deadline: float, referer: str | None
) -> tuple[httpx.Response, str]:
    for index, address in enumerate(addresses):
        try:
            return _request(url, address, settings, deadline, referer), address
        except FetchFailed as err:
            # The host's next address may answer (a dead IPv6 route, one server of several down); a time-out
            # has used the fetch's time, so it ends the attempt.
            if err.reason not in ("refused", "connect") or index == len(addresses) - 1:
                raise
    raise FetchFailed("connect", "the connection could not be made")  # no addresses: not reached


def _referable(referer: str, url: httpx.URL) -> bool:
    if not (referer.isascii() and referer.isprintable() and referer.startswith(("http://", "https://"))):
        return False
    # As browsers do by default: no Referer from an https page to an http URL.
    return not (referer.startswith("https://") and url.scheme == "http")


@functools.cache
def _dns_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="netsafe-dns")


def _lookup(resolve: Resolver, host: str, deadline: float) -> Sequence[str]:
    """The resolver's answer within the fetch's time: the system resolver alone may wait 30 s or more on a
    dead name server, and the time cap is for the whole fetch."""
    future = _dns_pool().submit(resolve, host)
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        future.cancel()
        raise FetchFailed("timeout", f"the host {host} did not resolve in time") from None


def _request(
    url: httpx.URL, address: str, settings: HotlineSettings, deadline: float, referer: str | None
) -> httpx.Response:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchFailed("timeout", f"no answer within {settings.fetch_timeout_seconds:g} s")
    transport = _PinnedTransport(address, deadline)
    client = httpx.Client(transport=transport, timeout=left, follow_redirects=False, trust_env=False)
    request = client.build_request(
        "GET",
        url,
        headers={
            "User-Agent": settings.fetch_user_agent,
            "Accept": "*/*",
            # A compressed body would be inflated before the byte cap sees it: ask for none.
            "Accept-Encoding": "identity",
        },
    )
    if referer and _referable(referer, url):
        request.headers["Referer"] = referer
    try:
        return client.send(request, stream=True)
    except BaseException as err:
        client.close()
        raise _failure(err, settings.fetch_timeout_seconds) from None


def _read_body(response: httpx.Response, cap: int, deadline: float, timeout: float) -> tuple[bytes, bool]:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflate = (
        zlib.decompressobj(16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS)
        if encoding in ("gzip", "x-gzip", "deflate")
        else None
    )
    parts: list[bytes] = []
    size = 0
    truncated = False
    try:
        # As the bytes arrive (a chunk size would wait for that many bytes before the deadline is looked at).
        for raw in response.iter_raw():
            if time.monotonic() > deadline:
                raise FetchFailed("timeout", f"the body did not arrive within {timeout:g} s")
            # Inflated with a bound: a small compressed bomb never becomes more than cap + 1 bytes.
            chunk = inflate.decompress(raw, cap + 1 - size) if inflate is not None else raw
            parts.append(chunk)
            size += len(chunk)
            if size > cap or (inflate is not None and inflate.unconsumed_tail):
                truncated = True
                break
    except FetchFailed:
        raise
    except zlib.error:
        raise FetchFailed("encoding", f"the body's {encoding} encoding is corrupt") from None
    except BaseException as err:
        raise _failure(err, timeout) from None
    body = b"".join(parts)
    return body[:cap], truncated or len(body) > cap


def _failure(err: BaseException, seconds: float) -> BaseException:
    if isinstance(err, FetchFailed | FetchRefused):
        return err
    if isinstance(err, httpcore.TimeoutException | httpx.TimeoutException | TimeoutError):
        return FetchFailed("timeout", f"no complete answer within {seconds:g} s")
    if isinstance(err, httpcore.ConnectError | httpx.ConnectError | ConnectionRefusedError):
        text = str(err).lower()
        if "refused" in text:
            return FetchFailed("refused", "the server refused the connection")
        if "ssl" in text or "certificate" in text:
            return FetchFailed("tls", "the TLS handshake failed (certificate or protocol)")
        return FetchFailed("connect", "the connection could not be made")
    if isinstance(
        err, httpcore.RemoteProtocolError | httpx.RemoteProtocolError | httpcore.LocalProtocolError
    ):
        return FetchFailed("protocol", "the server's answer is not valid HTTP")
    if isinstance(err, httpcore.NetworkError | httpx.TransportError | OSError):
        return FetchFailed("network", "the connection broke off")
    if isinstance(err, httpx.InvalidURL | httpcore.UnsupportedProtocol | ValueError | UnicodeError):
        return FetchRefused("url", "not a valid URL")
    if isinstance(err, Exception):
        return FetchFailed("network", f"the fetch failed ({type(err).__name__})")
    return err  # KeyboardInterrupt and the like go on as they are


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the fetch's time is up")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._left(timeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the one address checked, never to what the host name says (no second lookup)."""

    def __init__(self, address: str, deadline: float) -> None:
        self._address = address
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the fetch's time is up")
        wait = left if timeout is None else min(timeout, left)
        stream = self._inner.connect_tcp(self._address, port, wait, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _BodyStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes], pool: httpcore.ConnectionPool) -> None:
        self._stream = stream
        self._pool = pool

    def __iter__(self) -> Any:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if callable(close):
            close()
        self._pool.close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs more than a local fetch; one verifying context serves every connection.
    return httpx.create_ssl_context()


class _PinnedTransport(httpx.BaseTransport):
    """httpx over httpcore with the pinned backend: one connection, no retries, no proxy from the env."""

    def __init__(self, address: str, deadline: float) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=1,
            retries=0,
            network_backend=_PinnedBackend(address, deadline),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):
            raise TypeError("only synchronous requests")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        if not isinstance(response.stream, Iterable):
            raise TypeError("only synchronous responses")
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_BodyStream(response.stream, self._pool),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
