"""Remove my image's settings: the ``[remove]`` table of the config file (``NETSAFE_CONFIG``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator

from netsafe.services.hashset_rules import name_ok


class HelpLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=500)


class RemoveSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # The hash set the requests' hashes go into; created on the first request when missing. Its kind is
    # self-reported (kept in its description until hash sets carry a kind of their own).
    hash_set: str = "self-reported"
    # Take It Down's way (the default): platforms receive a request's hashes at once. False: Report
    # Remove's way, the hashes join the set only when an analyst verifies the request.
    share_unverified: bool = True
    # Where a young person can get help now, shown on the page (the UK's by default).
    helpline_text: str = "Childline: call 0800 1111 (free, any time), or talk to a counsellor online."
    helpline_links: list[HelpLink] = Field(
        default_factory=lambda: [HelpLink(text="childline.org.uk", url="https://www.childline.org.uk/")]
    )
    # Requests per client in any minute, kept in memory only (no address is stored).
    rate_per_minute: PositiveInt = 5
    max_items: PositiveInt = 20  # photos or videos in one request
    # The optional second way (Report Remove's): the person uploads one picture for an analyst to assess.
    # It is sealed in the hotline's vault at once and deleted after assessment (or after the hotline's
    # retention_days if it is never assessed). False: the page offers only the fingerprints.
    uploads: bool = True
    max_upload_bytes: PositiveInt = 50 * 1024 * 1024

    @field_validator("hash_set")
    @classmethod
    def _name(cls, value: str) -> str:
        if not name_ok(value):
            raise ValueError(f"{value!r} is not a usable hash set name")
        return value
