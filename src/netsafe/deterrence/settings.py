"""Deterrence settings: the ``[deterrence]`` table of the config file (``NETSAFE_CONFIG``).

The defaults are the UK's: the Lucy Faithfull Foundation's Stop It Now helpline, its website and its chat.
Message variants are keys into the translated texts of ``deterrence/locale`` (an operator adds a variant by
adding its text to each language's file); each display picks one at random so the variants can be compared.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, field_validator, model_validator

# The variants the packaged texts carry (Prichard et al. 2022: "may be illegal" and "can be traced" turned
# most people back; a harm-focused text nearly doubled clicks to help on a Tor search engine).
DEFAULT_VARIANTS = ["illegal", "traced", "harm"]


class HelpLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")  # the {link} of /warning/help/{variant}/{link}
    label: str = Field(min_length=1, max_length=100)
    url: str = Field(pattern=r"^(https?://|tel:)\S+$", max_length=500)


DEFAULT_HELP = [
    HelpLink(name="phone", label="Call Stop It Now: 0808 1000 900", url="tel:08081000900"),
    HelpLink(name="chat", label="Chat online with Stop It Now", url="https://www.stopitnow.org.uk/chat/"),
    HelpLink(
        name="selfhelp",
        label="Confidential self-help",
        url="https://www.stopitnow.org.uk/concerned-about-your-own-thoughts-or-behaviour/",
    ),
]


class DeterrenceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Published counts (stats page, partners' API, exports) hide cells under this, as official statistics do.
    min_published_count: NonNegativeInt = 10
    variants: list[str] = Field(default_factory=lambda: list(DEFAULT_VARIANTS), min_length=1)
    # The operator's own variants: key -> English text (translated when a language's catalogue has it).
    variant_texts: dict[str, str] = Field(default_factory=dict)
    helpline_name: str = "Stop It Now"
    helpline_phone: str = "0808 1000 900"
    help_links: list[HelpLink] = Field(default_factory=lambda: list(DEFAULT_HELP), min_length=1)
    languages: list[str] = Field(default_factory=lambda: ["en", "cy"], min_length=1)
    # How stale a worker's view of the lists may be (the hotline's live URLs included).
    refresh_seconds: float = Field(default=2.0, ge=0)
    # The middleware: the search parameter a platform's search page takes.
    search_parameter: str = "q"

    @field_validator("variants")
    @classmethod
    def _variants(cls, value: list[str]) -> list[str]:
        for v in value:
            if not v or len(v) > 32 or not v.replace("-", "").replace("_", "").isalnum() or not v.isascii():
                raise ValueError(f"{v[:40]!r}: a variant is up to 32 letters, digits, - or _")
        if len(set(value)) != len(value):
            raise ValueError("variants are named once each")
        return value

    @model_validator(mode="after")
    def _known_variants(self) -> DeterrenceSettings:
        for v in self.variants:
            if v not in DEFAULT_VARIANTS and v not in self.variant_texts:
                raise ValueError(f"variant {v!r} has no text: give it in variant_texts")
        return self

    @field_validator("help_links")
    @classmethod
    def _links(cls, value: list[HelpLink]) -> list[HelpLink]:
        if len({link.name for link in value}) != len(value):
            raise ValueError("help links are named once each")
        return value
