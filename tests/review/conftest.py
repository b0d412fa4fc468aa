"""Evidence for the review tests: generated benign photos (netsafe.samples), a few of them with a near-
duplicate (the same photo resized and saved as PNG), and a hash set that knows one photo, so the queue can
be checked to leave it out. Users of every role graded through the services."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

import pytest

from netsafe.accounts.passwords import hash_password
from netsafe.accounts.roles import Role
from netsafe.audit.service import Actor
from netsafe.review.settings import ReviewSettings
from netsafe.samples import synthetic_photo
from netsafe.services.accounts import add_user
from netsafe.services.hashsets import NewEntry, add_entries, create_set
from netsafe.store import Database, open_database
from netsafe.store.pytest_fixtures import database_url, postgres_server, postgres_store
from netsafe.triage.pipeline import ScanConfig
from netsafe.triage.service import scan

ACTOR = Actor("test")
SETTINGS = ReviewSettings()
PASSWORD = "correct horse battery staple"
# name -> role: three analysts (three votes make a trusted grade), a senior, an admin, an auditor.
USERS = {
    "ana": Role.ANALYST,
    "bob": Role.ANALYST,
    "cat": Role.ANALYST,
    "sen": Role.SENIOR,
    "adm": Role.ADMIN,
    "aud": Role.AUDITOR,
}
PAIRS = 3  # photos with a near-duplicate
SINGLES = 3  # photos alone
KNOWN_SEED = 99  # in the known set: never an item


@dataclass(frozen=True)
class Evidence:
    folder: Path
    pairs: list[tuple[bytes, bytes]]  # (original JPEG, resized PNG)
    singles: list[bytes]
    known: bytes


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    import io

    buf = io.BytesIO()
    synthetic_photo(seed, *size).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def resized_png(seed: int, size: tuple[int, int] = (400, 300)) -> bytes:
    import io

    buf = io.BytesIO()
    synthetic_photo(seed).resize(size).save(buf, "PNG")
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture(scope="session")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Evidence:
    return build_evidence(tmp_path_factory.mktemp("review") / "seized")


def build_evidence(root: Path) -> Evidence:
    root.mkdir(parents=True)
    pairs = []
    for n in range(PAIRS):
        pair = (jpeg(10 + n), resized_png(10 + n))
        (root / f"pair{n}-a.jpg").write_bytes(pair[0])
        (root / "sub").mkdir(exist_ok=True)
        (root / "sub" / f"pair{n}-b.png").write_bytes(pair[1])
        pairs.append(pair)
    singles = [jpeg(50 + n) for n in range(SINGLES)]
    for n, data in enumerate(singles):
        (root / f"single{n}.jpg").write_bytes(data)
    (root / "copy-of-single0.jpg").write_bytes(singles[0])  # one content, two files
    known = jpeg(KNOWN_SEED)
    (root / "known.jpg").write_bytes(known)
    (root / "notes.txt").write_text("not an image\n")
    return Evidence(root, pairs, singles, known)


def _hashed(password: str) -> str:
    return _HASH


_HASH = hash_password(PASSWORD)


def add_users(db: Database) -> None:
    with patch("netsafe.services.accounts.hash_password", _hashed), db.session() as session:
        for name, role in USERS.items():
            add_user(session, ACTOR, name, role, PASSWORD)


def run_scan_of(db: Database, folder: Path | list[Path], out: Path) -> int:
    sources = tuple(str(p) for p in (folder if isinstance(folder, list) else [folder]))
    outcome = scan(db, ACTOR, ScanConfig(sources=sources, out_dir=str(out), workers=1, examiner="E. X."))
    return outcome.scan_id


@dataclass
class Case:
    db: Database
    evidence: Evidence
    scan_id: int
    tmp: Path
    url: str


@pytest.fixture()
def case(
    tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[Case]:
    """A store on each backend (SQLite, PostgreSQL) with the users, a known set and one scan."""
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    db = open_database(database_url)
    try:
        add_users(db)
        create_set(db, ACTOR, "known", "uk-caid")
        add_entries(db, ACTOR, "known", [NewEntry({"sha256": sha256(evidence.known)}, "A")])
        scan_id = run_scan_of(db, evidence.folder, tmp_path / "report1")
        yield Case(db, evidence, scan_id, tmp_path, database_url)
    finally:
        db.dispose()


__all__ = ["database_url", "postgres_server", "postgres_store"]
