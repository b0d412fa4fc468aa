"""Service settings: defaults, then a TOML file, then ``NETSAFE_*`` environment variables (highest wins).

The TOML file is named by ``--config`` or ``NETSAFE_CONFIG``; its keys are the field names below, at the top
level or under a ``[service]`` table. Each field's variable is ``NETSAFE_`` + the upper-cased name, e.g.
``NETSAFE_MAX_UPLOAD_BYTES``. See docs/service.md.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from netsafe.deterrence.settings import DeterrenceSettings
from netsafe.errors import InvalidInput
from netsafe.hotline.settings import HotlineSettings
from netsafe.remove.settings import RemoveSettings
from netsafe.review.settings import ReviewSettings
from netsafe.signals.defaults import DEFAULT_MAX_PIXELS
from netsafe.signals.types import REGISTRY
from netsafe.stats.settings import StatsSettings

# A server refuses images far smaller than the CLI would open: one request must not eat the memory of all.
SERVICE_MAX_PIXELS = min(DEFAULT_MAX_PIXELS, 50_000_000)

CONFIG_ENV = "NETSAFE_CONFIG"
ENV_PREFIX = "NETSAFE_"


class ConfigError(InvalidInput, ValueError):
    pass


class Settings(BaseSettings):
    """The service's settings. Made in code, a Settings is exactly what it was given (tests, the app);
    :func:`load_settings` adds a TOML file and the ``NETSAFE_*`` environment. pydantic checks each value's
    type and range; a bad one is a one-line :class:`ConfigError`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", env_ignore_empty=True, validate_default=False
    )

    database_url: str | None = None  # None: NETSAFE_DATABASE_URL or the embedded SQLite store
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: PositiveInt = 1
    max_upload_bytes: PositiveInt = 50 * 1024 * 1024
    max_import_bytes: PositiveInt = 2 * 1024 * 1024 * 1024  # hash-list files (VICS exports run to gigabytes)
    max_pixels: PositiveInt = SERVICE_MAX_PIXELS
    rate_limit_per_minute: NonNegativeInt = (
        600  # per token or session, shared by one server's workers; 0 = off
    )
    rate_limit_burst: NonNegativeInt = 100
    login_max_failures: PositiveInt = 5  # per user name within login_window_seconds
    login_max_failures_per_ip: PositiveInt = 30
    login_window_seconds: PositiveInt = 900
    session_hours: PositiveFloat = 12.0
    cookie_secure: Literal["auto", "true", "false"] = (
        "auto"  # auto: Secure unless served over plain HTTP to a loopback address
    )
    index_refresh_seconds: NonNegativeFloat = 0.5  # how stale a worker's view of the hash sets may be
    default_max_distance: int = Field(31, ge=0, le=REGISTRY["pdq"].max_threshold)
    match_result_limit: PositiveInt = 1000
    # Answer JSON /match requests with API tokens without FastAPI's routing (same code and responses,
    # several times the throughput: benchmarks/README.md); off only to compare or to rule it out.
    fast_match: bool = True
    # The same for POST /api/v1/deterrence/check with a ``deterrence`` token (web/checkpath.py).
    fast_check: bool = True
    log_level: str = "info"
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks, comma-separated;
    # "*" for any). None by default: anyone can send the header, and it names the client that is audited
    # and throttled.
    forwarded_allow_ips: str = ""
    # Refused requests and reads of hash sets, users, tokens and the audit log are audited at most once per
    # (client, actor, reason or path) in this many seconds, with a count (audit/summary.py); 0: every one.
    audit_summary_seconds: NonNegativeFloat = 60.0
    # The workflows' own tables of the config file.
    hotline: HotlineSettings = HotlineSettings()
    review: ReviewSettings = ReviewSettings()
    stats: StatsSettings = StatsSettings()
    deterrence: DeterrenceSettings = DeterrenceSettings()
    remove: RemoveSettings = RemoveSettings()

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _joined(cls, value: Any) -> Any:
        return ",".join(str(item) for item in value) if isinstance(value, list) else value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: str) -> str:
        _check_proxies(value)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


# The environment load_settings reads (a mapping of its own in tests; os.environ otherwise).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("netsafe_settings_environ", default=None)


class _Environment(EnvSettingsSource):
    def _load_env_vars(self) -> Mapping[str, str | None]:
        given = _ENVIRON.get()
        return parse_env_vars(
            os.environ if given is None else given,
            self.case_sensitive,
            self.env_ignore_empty,
            self.env_parse_none_str,
        )


class _Loaded(Settings):
    """Settings with the environment over what the file gave (passed in as init values)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (_Environment(settings_cls), init_settings)


def load_settings(
    config_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the TOML file (``config_file`` or ``$NETSAFE_CONFIG``), then ``NETSAFE_*`` variables."""
    env = os.environ if environ is None else environ
    path = config_file or env.get(CONFIG_ENV)
    values = _read_file(path) if path else {}
    token = _ENVIRON.set(env)
    try:
        loaded = _Loaded(**values)
    except ValidationError as err:
        raise ConfigError(_first_problem(err)) from None
    finally:
        _ENVIRON.reset(token)
    return Settings(**loaded.model_dump())


def _read_file(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config file: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    service = data.get("service", {})
    if not isinstance(service, dict):
        raise ConfigError(f"{path}: [service] must be a table")
    # The service's own keys sit at the top level or under [service]; a workflow's settings are a table of
    # their own ([hotline], [review]) that its field's model checks.
    merged = {key: raw for key, raw in data.items() if key != "service"} | service
    known = set(Settings.model_fields)
    values: dict[str, Any] = {}
    for key, raw in merged.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
        values[key] = raw
    return values


def _first_problem(err: ValidationError) -> str:
    # The file's keys were checked as it was read; a value may have come from it or from the environment.
    first = err.errors()[0]
    name = ".".join(str(part) for part in first.get("loc", ())) or "settings"
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    shown = first.get("input")
    value = "" if isinstance(shown, dict) else f" (got {str(shown)[:60]!r})"
    text = f"setting {name} (or {ENV_PREFIX}{name.upper()}): {reason}{value}"
    return " ".join(text.split())


def trusted_proxies(s: Settings) -> list[str]:
    """The proxies named by ``forwarded_allow_ips`` (empty: trust no forwarded header)."""
    return _check_proxies(s.forwarded_allow_ips)


def _check_proxies(text: str) -> list[str]:
    """The entries of a ``forwarded_allow_ips`` value, each checked.

    uvicorn takes a malformed entry as a literal host name that no client ever has, so a typo would
    silently trust nobody (or, worse, be read as a network it was not meant to be): refuse it here."""
    out: list[str] = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        if item != "*":
            try:
                if "/" in item:
                    ipaddress.ip_network(item)
                else:
                    ipaddress.ip_address(item)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network "
                    "(e.g. 10.0.0.5 or 10.0.0.0/24, with no host bits set)"
                ) from None
        out.append(item)
    return out


def settings_env(s: Settings) -> dict[str, str]:
    """The settings as NETSAFE_* variables, so uvicorn's worker processes rebuild the same Settings."""
    out: dict[str, str] = {}
    for name, value in s.model_dump(mode="json").items():
        if isinstance(value, dict | list):
            out[ENV_PREFIX + name.upper()] = json.dumps(value)  # pydantic-settings reads a table as JSON
        elif value is not None:
            out[ENV_PREFIX + name.upper()] = str(value)
    return out
