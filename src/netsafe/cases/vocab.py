"""The words of a case: referral sources, statuses, kinds of action and offence, and the naming rules."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import TypeVar

from netsafe.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


class CaseInputError(InvalidInput, ValueError):
    pass


class Source(StrEnum):
    NCA = "nca"  # an NCA/CEOP referral package
    NCMEC = "ncmec"  # an NCMEC CyberTip (usually through the NCA)
    HOTLINE = "hotline"  # a hotline report
    INTELLIGENCE = "intelligence"  # local intelligence
    OTHER = "other"


SOURCE_LABELS = {
    Source.NCA: "NCA/CEOP referral package",
    Source.NCMEC: "NCMEC CyberTip",
    Source.HOTLINE: "hotline report",
    Source.INTELLIGENCE: "local intelligence",
    Source.OTHER: "other",
}


class Status(StrEnum):
    NEW = "new"
    ASSESSED = "assessed"
    IN_PROGRESS = "in progress"
    ACTION_TAKEN = "action taken"
    CLOSED = "closed"


class ActionKind(StrEnum):
    VISIT = "visit"
    ARREST = "arrest"
    WARRANT = "warrant"
    SEIZURE = "seizure"  # of devices
    SOCIAL_CARE = "social-care"  # a referral to children's social care
    CHARGE = "charge"
    NFA = "nfa"  # no further action


ACTION_LABELS = {
    ActionKind.VISIT: "visit",
    ActionKind.ARREST: "arrest",
    ActionKind.WARRANT: "warrant executed",
    ActionKind.SEIZURE: "devices seized",
    ActionKind.SOCIAL_CARE: "referral to children's social care",
    ActionKind.CHARGE: "charge",
    ActionKind.NFA: "no further action",
}

# The actions that stop a case's response clock: police acting on the subject. A referral to social care
# safeguards children but is not the police's response to the referral; no further action is none.
ENFORCEMENT = frozenset(
    {ActionKind.VISIT, ActionKind.ARREST, ActionKind.WARRANT, ActionKind.SEIZURE, ActionKind.CHARGE}
)


class Offence(StrEnum):
    POSSESSION = "possession"
    DISTRIBUTION = "distribution"
    PRODUCTION = "production"


_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Path words of the API and pages under /cases/ that a case reference may not be.
RESERVED = frozenset({"figures", "model", "new"})
MAX_LABEL = 100


def check_reference(text: str) -> str:
    ref = text.strip()
    if not _REFERENCE.match(ref) or ref.lower() in RESERVED:
        raise CaseInputError(
            f"case reference {ref[:70]!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (and not 'figures', 'model' or 'new')"
        )
    return ref


def parse_choice(kind: type[E], text: str, what: str) -> E:
    value = text.strip().lower()
    try:
        return kind(value)
    except ValueError:
        raise CaseInputError(
            f"{what} {text[:40]!r}: choose one of {', '.join(k.value for k in kind)}"
        ) from None


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CaseInputError(f"{what} {text[:40]!r}: give a date as YYYY-MM-DD") from None


def check_text(value: str | None, what: str, limit: int) -> str | None:
    """Optional one-line text: stripped, None when empty, refused when too long or multi-line."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > limit:
        raise CaseInputError(f"{what}: at most {limit} characters")
    if not text.isprintable():
        raise CaseInputError(f"{what}: one line of printable text")
    return text


# The exhibit a linked scan is of when none is named (here, not in the service, for `case link --help`).
DEFAULT_EXHIBIT = "device 1"
