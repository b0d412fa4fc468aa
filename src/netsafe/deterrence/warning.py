"""The warning page: a plain message, the route to help, in the reader's language; no script, no cookie,
nothing from another origin (no stylesheet either: the middleware serves it inside a platform's own site).

Texts are gettext catalogues (``locale/<lang>/LC_MESSAGES/messages.po``, read with Babel): English is the
message ids; Welsh ships; another language is another file. A message variant is a key into ``VARIANTS`` or
the operator's ``variant_texts`` (English, translated like the others when a catalogue has it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, select_autoescape

from netsafe.deterrence.settings import DeterrenceSettings

LOCALE = Path(__file__).with_name("locale")
TEMPLATES = Path(__file__).with_name("templates")
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}

VARIANTS = {
    "illegal": "The page you tried to reach may contain sexual images of children. "
    "Viewing, downloading or sharing them is illegal.",
    "traced": "The page you tried to reach may contain sexual images of children. "
    "Attempts to reach it may be traced: IP addresses can be traced.",
    "harm": "Sexual images of children record real abuse. Every time they are viewed, the children in them "
    "are harmed again.",
}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))


@cache
def catalog(lang: str) -> Catalog | None:
    path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def translate(lang: str, text: str) -> str:
    found = catalog(lang)
    message = found.get(text) if found is not None else None
    return str(message.string) if message is not None and message.string else text


def pick_language(settings: DeterrenceSettings, asked: str | None, accept: str | None) -> str:
    """``?lang=`` if offered, else the first offered language in Accept-Language, else the first offered."""
    offered = settings.languages
    if asked in offered:
        return str(asked)
    for part in (accept or "").split(","):
        tag = part.split(";", 1)[0].strip().lower().split("-", 1)[0]
        if tag in offered:
            return tag
    return offered[0]


def pick_variant(settings: DeterrenceSettings) -> str:
    return secrets.choice(settings.variants)  # uniform; not a secret, but no seeded generator to share


@dataclass(frozen=True, slots=True)
class Shown:
    html: str
    variant: str
    lang: str


def render(
    settings: DeterrenceSettings, lang: str, variant: str, entry_id: int | None, base: str = "/warning"
) -> Shown:
    def t(text: str) -> str:
        return translate(lang, text)

    suffix = f"?e={entry_id}" if entry_id is not None else ""
    links = [
        {"label": t(link.label), "href": f"{base}/help/{quote(variant)}/{quote(link.name)}{suffix}"}
        for link in settings.help_links
    ]
    others = [
        {
            "name": LANGUAGE_NAMES.get(code, code),
            "code": code,
            "href": f"{base}?lang={code}" + (f"&e={entry_id}" if entry_id is not None else ""),
        }
        for code in settings.languages
        if code != lang
    ]
    html = _env.get_template("warning.html").render(
        lang=lang,
        title=t("This content is illegal"),
        warning=t("Warning"),
        message=t(settings.variant_texts.get(variant) or VARIANTS.get(variant, variant)),
        help_intro=t(
            "Help is confidential. If you are worried about your thoughts or behaviour, you can talk to "
            "someone without giving your name."
        ),
        get_help=t("Get help"),
        call=t("Call %(name)s free and in confidence on %(phone)s.")
        % {"name": settings.helpline_name, "phone": settings.helpline_phone},
        links=links,
        other_languages=t("Other languages"),
        others=others,
    )
    return Shown(html, variant, lang)


def help_target(settings: DeterrenceSettings, variant: str, link: str) -> str | None:
    """Where a help link goes; None for a variant or link the settings do not have."""
    if variant not in settings.variants:
        return None
    return next((h.url for h in settings.help_links if h.name == link), None)
