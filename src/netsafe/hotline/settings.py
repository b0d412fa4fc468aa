"""The hotline's settings: the ``[hotline]`` table of the config file (``NETSAFE_CONFIG``).

Paths are the operator's files; none is read until the feature that needs it runs, so a service that does
not run a hotline needs none of them.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator


class HotlineSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Capture: networks a fetched URL may resolve to although they are private, loopback or reserved
    # (SSRF defence: none by default; the tests name 127.0.0.0/8).
    fetch_allow_networks: list[str] = Field(default_factory=list)
    fetch_timeout_seconds: PositiveFloat = 20.0  # per request, connect to last byte
    fetch_max_redirects: NonNegativeInt = 5
    fetch_max_item_bytes: PositiveInt = 20 * 1024 * 1024
    fetch_max_report_bytes: PositiveInt = 200 * 1024 * 1024
    fetch_max_items: PositiveInt = 200
    fetch_user_agent: str = "netsafe-hotline"
    # Captured bytes are encrypted at rest with this key (created, owner-only, when missing) and deleted
    # after retention_days. None: beside the embedded store's data folder.
    key_file: Path | None = None
    capture_dir: Path | None = None
    retention_days: PositiveInt = 90
    # Host tracing: an offline MaxMind-format database and the operator's rules (rules win).
    geoip_db: Path | None = None
    asn_db: Path | None = None
    hosting_rules: Path | None = None  # CSV: network,country,asn,organisation,abuse_contact
    partners: Path | None = None  # CSV: country,name,email
    country: str = "GB"  # the operator's own country (ISO 3166-1 alpha-2)
    police_email: str | None = None  # where referrals go for a country with no partner hotline
    # Notice and takedown.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    notice_from: str = "hotline@localhost"
    # A mail relay that wants TLS and a login: STARTTLS before anything is sent, then AUTH with the user
    # and the password read from smtp_password_file (a file, so the secret is in no config or log).
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password_file: Path | None = None
    templates_dir: Path | None = None  # the operator's notice templates, overriding the packaged ones
    first_notice_delay_minutes: NonNegativeInt = 60
    resend_hours: PositiveFloat = 24.0
    notices_need_authorisation: bool = False
    monitor_interval_minutes: PositiveFloat = 60.0
    # The monitor (and retention) as a background task of `netsafe serve`: one worker holds the lease.
    monitor_in_service: bool = True
    # The public /report form: a rate limit kept in memory only (no address is stored).
    report_rate_per_minute: PositiveInt = 10

    @field_validator("fetch_allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item)
            except ValueError:
                raise ValueError(f"{item!r} is not a network (e.g. 127.0.0.0/8)") from None
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if len(value) != 2 or not value.isalpha():
            raise ValueError("give a two-letter country code (ISO 3166-1), e.g. GB")
        return value.upper()
