"""Helpers for the service tests: an app over a store, users of every role, tokens, signed-in clients."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from unittest.mock import patch

from fastapi import FastAPI
from fastapi.testclient import TestClient

from netsafe.accounts.passwords import hash_password
from netsafe.accounts.roles import ROLE_PERMISSIONS, Permission, Role
from netsafe.audit.service import Actor
from netsafe.samples import synthetic_photo
from netsafe.services.accounts import add_user, create_token
from netsafe.store.db import Database
from netsafe.web.app import create_app
from netsafe.web.config import Settings

PASSWORD = "correct horse battery staple"
BASE = "http://127.0.0.1"


@dataclass
class Service:
    app: FastAPI
    db: Database
    tokens: dict[str, str] = field(default_factory=dict)  # role or token label -> bearer secret
    sessions: dict[str, TestClient] = field(default_factory=dict)

    def client(self, raise_server_exceptions: bool = True) -> TestClient:
        return TestClient(self.app, base_url=BASE, raise_server_exceptions=raise_server_exceptions)

    def bearer(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def signed_in(self, username: str) -> TestClient:
        """A client with a session for ``username``, reused (password hashing is slow on purpose)."""
        if username not in self.sessions:
            self.sessions[username] = self.login(username)
        return self.sessions[username]

    def login(self, username: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client


def csrf_of(client: TestClient, path: str = "/hashsets") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


@lru_cache(maxsize=4)
def _hashed(password: str) -> str:
    return hash_password(password)


def make_service(db: Database, **overrides: object) -> Service:
    defaults: dict[str, object] = {"rate_limit_per_minute": 0, "index_refresh_seconds": 0.2}
    settings = Settings(**(defaults | overrides))  # type: ignore[arg-type]
    service = Service(create_app(settings, db), db)
    # Argon2 is slow on purpose: hash the shared test password once, not once per user and test.
    with patch("netsafe.services.accounts.hash_password", _hashed), db.session() as session:
        for role in Role:
            add_user(session, Actor("test"), role.value, role, PASSWORD)
            secret, _ = create_token(
                session, Actor("test"), f"tok-{role.value}", ROLE_PERMISSIONS[role], role.value
            )
            service.tokens[role.value] = secret
        secret, _ = create_token(session, Actor("test"), "match-only", frozenset({Permission.MATCH}))
        service.tokens["match-only"] = secret
        secret, _ = create_token(
            session, Actor("test"), "expired", frozenset({Permission.MATCH}), None, timedelta(seconds=-1)
        )
        service.tokens["expired"] = secret
    return service


def jpeg_bytes(seed: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    buf = io.BytesIO()
    synthetic_photo(seed, *size).save(buf, "JPEG", quality=90)
    return buf.getvalue()
