"""Where captured bytes are kept: the vault named by the config, or beside the embedded store."""

from __future__ import annotations

from pathlib import Path

from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.vault import Vault
from netsafe.store.db import Database, default_database_path

CAPTURE_DIR = "hotline-captures"
KEY_FILE = "hotline-vault.key"


def data_dir(db: Database) -> Path:
    database = db.url.database
    if db.backend == "sqlite" and database and database != ":memory:":
        return Path(database).resolve().parent
    return default_database_path().parent


def capture_dir(settings: HotlineSettings, db: Database) -> Path:
    return settings.capture_dir or data_dir(db) / CAPTURE_DIR


def open_vault(settings: HotlineSettings, db: Database) -> Vault:
    return Vault(capture_dir(settings, db), settings.key_file or data_dir(db) / KEY_FILE)
