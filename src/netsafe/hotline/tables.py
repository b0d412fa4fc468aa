"""The operator's two CSV files for routing: hosting rules and partner hotlines.

Both are hand-edited, so both are read strictly and every problem is one line naming the file's setting,
the line and the field: a typo in a rule must not route a notice to the wrong place without a word.
Lines starting with ``#`` and blank lines are skipped; the first other line must be the header.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from netsafe.errors import Rejected

HOSTING_RULES_HEADER = ("network", "country", "asn", "organisation", "abuse_contact")
PARTNERS_HEADER = ("country", "name", "email")
_EMAIL = re.compile(r"[^@\s,;<>\"()\[\]]+@[^@\s,;<>\"()\[\]]+")
_MAX_FIELD = 500

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TableError(Rejected):
    """A hosting rules or partners file that cannot be used as it stands."""


@dataclass(frozen=True, slots=True)
class HostingRule:
    network: Network
    country: str | None
    asn: int | None
    organisation: str | None
    abuse_contact: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Partner:
    country: str
    name: str
    email: str
    line: int = 0


class HostingRules:
    """Rules ``network -> country, asn, organisation, abuse contact``; the most specific network wins."""

    def __init__(self, rules: list[HostingRule]) -> None:
        # Longest prefix first, so the first containing rule is the most specific one.
        self.rules = sorted(rules, key=lambda rule: -rule.network.prefixlen)

    @classmethod
    def load(cls, path: Path) -> HostingRules:
        return cls.parse(_read(path, "hosting rules (hotline.hosting_rules)"))

    @classmethod
    def parse(cls, text: str, *, what: str = "hosting rules") -> HostingRules:
        rules: list[HostingRule] = []
        seen: dict[Network, int] = {}
        for line, row in _rows(text, what, HOSTING_RULES_HEADER):
            network = _network(row[0], what, line)
            if network in seen:
                raise TableError(f"{what} line {line}: network {network} is already on line {seen[network]}")
            seen[network] = line
            rules.append(
                HostingRule(
                    network=network,
                    country=_country(row[1], what, line, required=False),
                    asn=_asn(row[2], what, line),
                    organisation=row[3] or None,
                    abuse_contact=_email(row[4], what, line, "abuse_contact", required=False),
                    line=line,
                )
            )
        return cls(rules)

    def match(self, address: Address) -> HostingRule | None:
        for rule in self.rules:
            if rule.network.version == address.version and address in rule.network:
                return rule
        return None

    def __len__(self) -> int:
        return len(self.rules)


class Partners:
    """Partner hotlines by country (one per country)."""

    def __init__(self, partners: list[Partner]) -> None:
        self.by_country = {partner.country: partner for partner in partners}

    @classmethod
    def load(cls, path: Path) -> Partners:
        return cls.parse(_read(path, "partners (hotline.partners)"))

    @classmethod
    def parse(cls, text: str, *, what: str = "partners") -> Partners:
        partners: list[Partner] = []
        seen: dict[str, int] = {}
        for line, row in _rows(text, what, PARTNERS_HEADER):
            country = _country(row[0], what, line, required=True)
            assert country is not None
            if country in seen:
                raise TableError(
                    f"{what} line {line}: country {country} already has a partner on line {seen[country]}"
                )
            seen[country] = line
            if not row[1]:
                raise TableError(f"{what} line {line}: name is empty; give the partner hotline's name")
            email = _email(row[2], what, line, "email", required=True)
            assert email is not None
            partners.append(Partner(country=country, name=row[1], email=email, line=line))
        return cls(partners)

    def get(self, country: str | None) -> Partner | None:
        return None if country is None else self.by_country.get(country.upper())

    def __len__(self) -> int:
        return len(self.by_country)


def _read(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TableError(f"cannot read the {what} file: {err.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise TableError(f"{what} line {line}: not UTF-8 text; save the file as UTF-8") from None


def _rows(text: str, what: str, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    expected = ",".join(header)
    seen_header = False
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise TableError(f"{what} line {reader.line_num}: not valid CSV ({err})") from None
        line = reader.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if not seen_header:
            if [cell.lower() for cell in cells] != list(header):
                raise TableError(f"{what} line {line}: the first line must be the header {expected}")
            seen_header = True
            continue
        if len(cells) != len(header):
            raise TableError(f"{what} line {line}: {len(cells)} fields, expected {len(header)} ({expected})")
        for name, cell in zip(header, cells, strict=True):
            if len(cell) > _MAX_FIELD or any(ord(char) < 32 for char in cell):
                raise TableError(f"{what} line {line}: {name} is too long or holds control characters")
        rows.append((line, cells))
    if not seen_header:
        raise TableError(f"{what}: the file is empty; its first line must be the header {expected}")
    return rows


def _network(value: str, what: str, line: int) -> Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise TableError(
            f"{what} line {line}: network {value!r} is not a network (e.g. 192.0.2.0/24)"
        ) from None
    raise TableError(f"{what} line {line}: network {value} has host bits set; did you mean {loose}?")


def _country(value: str, what: str, line: int, *, required: bool) -> str | None:
    if not value and not required:
        return None
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise TableError(
            f"{what} line {line}: country {value!r} is not a two-letter code (ISO 3166-1, e.g. GB)"
        )
    return value.upper()


def _asn(value: str, what: str, line: int) -> int | None:
    if not value:
        return None
    digits = value[2:] if value[:2].upper() == "AS" else value
    if not digits.isascii() or not digits.isdigit() or int(digits) > 0xFFFFFFFF:
        raise TableError(f"{what} line {line}: asn {value!r} is not an AS number (e.g. 64500 or AS64500)")
    return int(digits)


def _email(value: str, what: str, line: int, name: str, *, required: bool) -> str | None:
    if not value and not required:
        return None
    if not _EMAIL.fullmatch(value):
        raise TableError(f"{what} line {line}: {name} {value!r} is not an email address")
    return value
