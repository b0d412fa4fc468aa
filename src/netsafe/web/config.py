"""Service settings: defaults, then a TOML file, then ``NETSAFE_*`` environment variables (highest wins).

The TOML file is named by ``--config`` or ``NETSAFE_CONFIG``; its keys are the field names below, at the top
level or under a ``[service]`` table. Each field's variable is ``NETSAFE_`` + the upper-cased name, e.g.
``NETSAFE_MAX_UPLOAD_BYTES``. See docs/service.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from netsafe.errors import InvalidInput
from netsafe.signals.imaging import DEFAULT_MAX_PIXELS
from netsafe.signals.types import REGISTRY

# A server refuses images far smaller than the CLI would open: one request must not eat the memory of all.
SERVICE_MAX_PIXELS = min(DEFAULT_MAX_PIXELS, 50_000_000)

CONFIG_ENV = "NETSAFE_CONFIG"


class ConfigError(InvalidInput, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = None  # None: NETSAFE_DATABASE_URL or the embedded SQLite store
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_upload_bytes: int = 50 * 1024 * 1024
    max_import_bytes: int = 2 * 1024 * 1024 * 1024  # hash-list files (VICS exports run to gigabytes)
    max_pixels: int = SERVICE_MAX_PIXELS
    rate_limit_per_minute: int = 600  # per token or session, shared by one server's workers; 0 = off
    rate_limit_burst: int = 100
    login_max_failures: int = 5  # per user name within login_window_seconds
    login_max_failures_per_ip: int = 30
    login_window_seconds: int = 900
    session_hours: float = 12.0
    cookie_secure: str = "auto"  # auto: Secure unless served over plain HTTP to a loopback address
    index_refresh_seconds: float = 0.5  # how stale a worker's view of the hash sets may be
    default_max_distance: int = 31
    match_result_limit: int = 1000
    # Answer JSON /match requests with API tokens without FastAPI's routing (same code and responses,
    # several times the throughput: benchmarks/README.md); off only to compare or to rule it out.
    fast_match: bool = True
    log_level: str = "info"


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    kind_text = str(kind)
    try:
        if raw is None:
            return None
        if "bool" in kind_text:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if "int" in kind_text and "str" not in kind_text:
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        if "float" in kind_text:
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name}: {raw!r} is not a valid {kind_text}") from None


def load_settings(config_file: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or env.get(CONFIG_ENV)
    known = {f.name: f.type for f in fields(Settings)}
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as err:
            raise ConfigError(f"{path}: cannot read config file: {err.strerror}") from None
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: not valid TOML: {err}") from None
        section = data.get("service", data)
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [service] must be a table")
        for key, raw in section.items():
            if key == "service" and isinstance(raw, dict):
                continue
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
            values[key] = _coerce(key, raw, known[key])
    for key, kind in known.items():
        var = "NETSAFE_" + key.upper()
        if var in env and env[var] != "":
            values[key] = _coerce(var, env[var], kind)
    settings = replace(Settings(), **values)
    _check(settings)
    return settings


def _check(s: Settings) -> None:
    if s.cookie_secure not in ("auto", "true", "false"):
        raise ConfigError("setting cookie_secure: choose auto, true or false")
    for name in (
        "max_upload_bytes",
        "max_import_bytes",
        "max_pixels",
        "workers",
        "port",
        "login_max_failures",
    ):
        if getattr(s, name) <= 0:
            raise ConfigError(f"setting {name}: must be positive")
    cap = REGISTRY["pdq"].max_threshold
    if not 0 <= s.default_max_distance <= cap:
        raise ConfigError(f"setting default_max_distance: 0..{cap}")


def settings_env(s: Settings) -> dict[str, str]:
    """The settings as NETSAFE_* variables, so uvicorn's worker processes rebuild the same Settings."""
    out: dict[str, str] = {}
    for f in fields(Settings):
        value = getattr(s, f.name)
        if value is not None:
            out["NETSAFE_" + f.name.upper()] = str(value)
    return out
