"""HTTPS through the pinned address: the TLS server name and the certificate check use the URL's name."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from netsafe.hotline import fetch as fetch_module
from netsafe.hotline.fetch import FetchFailed, fetch
from netsafe.hotline.settings import HotlineSettings

from .conftest import FakeResolver


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the refused handshakes are the point of these tests


@pytest.fixture
def tls_site(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None]]]:
    cert_file, key_file = _certificate(tmp_path, "secure.test")
    names: list[str | None] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = _QuietServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert_file, names
    finally:
        server.shutdown()
        server.server_close()


def test_sni_is_the_name_and_an_untrusted_certificate_fails_in_one_line(
    tls_site: tuple[int, Path, list[str | None]], settings: HotlineSettings
) -> None:
    port, _, names = tls_site
    resolver = FakeResolver({"secure.test": ["127.0.0.1"]})
    with pytest.raises(FetchFailed) as caught:
        fetch(f"https://secure.test:{port}/", settings=settings, resolver=resolver)
    assert caught.value.reason == "tls"
    assert names == ["secure.test"]


def test_a_trusted_certificate_is_checked_against_the_name(
    tls_site: tuple[int, Path, list[str | None]], settings: HotlineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert_file, _ = tls_site
    trusting = ssl.create_default_context(cafile=str(cert_file))
    monkeypatch.setattr(fetch_module, "_ssl_context", lambda: trusting)
    resolver = FakeResolver({"secure.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    got = fetch(f"https://secure.test:{port}/", settings=settings, resolver=resolver)
    assert (got.status, got.body, got.address) == (200, b"hello", "127.0.0.1")
    with pytest.raises(FetchFailed) as caught:  # same address, another name: the certificate does not fit
        fetch(f"https://other.test:{port}/", settings=settings, resolver=resolver)
    assert caught.value.reason == "tls"
