"""Where a host is, who runs its network, and so where a notice goes.

Host -> addresses (the same injectable resolver as fetching) -> country, AS number and organisation from an
offline MaxMind-format database (GeoLite2 / DB-IP Lite country and ASN files, or one file with both), and
from the operator's hosting rules, which win field by field (SCART's "force hoster"). Then the route:

- ``host``: hosted in the operator's own country with a known abuse contact: a notice to that contact;
- ``partner``: hosted abroad, with a partner hotline there: a referral to it;
- ``police``: hosted abroad, no partner: a referral to the police (``police_email``);
- ``unknown``: nothing is known of where it is, or it is at home with no abuse contact: the analyst's list.

Every lookup's outcome, including a failed one, is in the returned Trace for the caller to record.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import maxminddb

from netsafe.errors import InvalidInput
from netsafe.hotline.fetch import Resolver, system_resolver
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.tables import Address, HostingRule, HostingRules, Partner, Partners

Route = Literal["host", "partner", "police", "unknown"]


class GeoDatabaseError(InvalidInput):
    """A configured GeoIP database cannot be opened or is not a MaxMind-format database."""


@dataclass(frozen=True, slots=True)
class GeoRecord:
    country: str | None = None
    asn: int | None = None
    organisation: str | None = None


@dataclass(frozen=True, slots=True)
class Trace:
    host: str
    ips: list[str]
    country: str | None
    asn: int | None
    organisation: str | None
    abuse_contact: str | None
    route: Route
    partner: Partner | None
    source: str  # where the facts came from: "rules", "geoip", "rules+geoip" or "none"
    recipient: str | None = None  # where the notice or referral goes (None: nobody known; the analyst's list)
    address: str | None = None  # the address the facts are about (the first one with any)
    rule_line: int | None = None  # the hosting rules line that matched
    note: str = ""  # one line saying why this route
    error: str | None = None  # the lookup that failed (DNS), if any
    lookups: list[dict[str, Any]] = field(default_factory=list)  # per address: what rules and database said


class GeoDatabase:
    """One or two MaxMind-format files read together: country from either, ASN fields from either."""

    def __init__(self, country_db: Path | None, asn_db: Path | None = None) -> None:
        self._readers = [
            _open(path, setting)
            for path, setting in ((country_db, "hotline.geoip_db"), (asn_db, "hotline.asn_db"))
            if path is not None
        ]

    def lookup(self, address: Address) -> GeoRecord:
        country: str | None = None
        asn: int | None = None
        organisation: str | None = None
        for reader in self._readers:
            try:
                record = reader.get(str(address))
            except (ValueError, maxminddb.InvalidDatabaseError):
                continue  # an IPv6 address in an IPv4-only file, or a damaged node: nothing known here
            if not isinstance(record, dict):
                continue
            found = _geo_fields(record)
            country = country or found.country
            asn = asn if asn is not None else found.asn
            organisation = organisation or found.organisation
        return GeoRecord(country, asn, organisation)

    def close(self) -> None:
        for reader in self._readers:
            reader.close()


class Tracer:
    """Rules, partners and databases loaded once, for tracing many hosts."""

    def __init__(
        self,
        settings: HotlineSettings,
        *,
        rules: HostingRules | None = None,
        partners: Partners | None = None,
        geo: GeoDatabase | None = None,
    ) -> None:
        self.settings = settings
        self.rules = rules if rules is not None else HostingRules([])
        self.partners = partners if partners is not None else Partners([])
        self.geo = geo

    @classmethod
    def from_settings(cls, settings: HotlineSettings) -> Tracer:
        geo = None
        if settings.geoip_db is not None or settings.asn_db is not None:
            geo = GeoDatabase(settings.geoip_db, settings.asn_db)
        return cls(
            settings,
            rules=HostingRules.load(settings.hosting_rules) if settings.hosting_rules else None,
            partners=Partners.load(settings.partners) if settings.partners else None,
            geo=geo,
        )

    def close(self) -> None:
        if self.geo is not None:
            self.geo.close()

    def trace(self, host: str, *, resolver: Resolver | None = None) -> Trace:
        name = _host_of(host)
        try:
            ips = [str(ipaddress.ip_address(name))]
        except ValueError:
            try:
                ips = list(dict.fromkeys((resolver or system_resolver)(name)))
            except (OSError, UnicodeError):
                ips = []
            if not ips:
                return self._route(
                    name, [], None, None, GeoRecord(), [], error=f"dns: {name} could not be resolved"
                )
        lookups: list[dict[str, Any]] = []
        chosen: tuple[str, HostingRule | None, GeoRecord] | None = None
        for text in ips:
            try:
                address = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:
                lookups.append({"ip": text, "error": "not an address"})
                continue
            rule = self.rules.match(address)
            geo = self.geo.lookup(address) if self.geo is not None else GeoRecord()
            lookups.append(
                {
                    "ip": text,
                    "rule_line": rule.line if rule else None,
                    "geo_country": geo.country,
                    "geo_asn": geo.asn,
                    "geo_organisation": geo.organisation,
                }
            )
            # The first address a rule covers wins; else the first the database knows; else the first.
            if rule is not None and (chosen is None or chosen[1] is None):
                chosen = (text, rule, geo)
            elif chosen is None and (geo.country or geo.asn is not None):
                chosen = (text, None, geo)
        if chosen is None:
            return self._route(name, ips, ips[0] if ips else None, None, GeoRecord(), lookups)
        return self._route(name, ips, chosen[0], chosen[1], chosen[2], lookups)

    def _route(
        self,
        host: str,
        ips: list[str],
        address: str | None,
        rule: HostingRule | None,
        geo: GeoRecord,
        lookups: list[dict[str, Any]],
        *,
        error: str | None = None,
    ) -> Trace:
        country = (rule.country if rule else None) or geo.country
        asn = rule.asn if rule and rule.asn is not None else geo.asn
        organisation = (rule.organisation if rule else None) or geo.organisation
        abuse = rule.abuse_contact if rule else None
        from_rule = rule is not None
        from_geo = (
            (geo.country is not None and not (rule and rule.country))
            or (geo.asn is not None and not (rule and rule.asn is not None))
            or (geo.organisation is not None and not (rule and rule.organisation))
        )
        source = {(True, True): "rules+geoip", (True, False): "rules", (False, True): "geoip"}.get(
            (from_rule, bool(from_geo)), "none"
        )
        own = self.settings.country
        partner = None
        recipient: str | None = None
        route: Route
        if country is None:
            route, note = "unknown", "no hosting rule and no database entry for this host's addresses"
        elif country == own:
            if abuse:
                route, recipient, note = "host", abuse, f"hosted in {own}: notice to the abuse contact"
            else:
                route, note = "unknown", f"hosted in {own} but no abuse contact is known: add a hosting rule"
        else:
            partner = self.partners.get(country)
            if partner is not None:
                route, recipient, note = (
                    "partner",
                    partner.email,
                    f"hosted in {country}: referral to {partner.name}",
                )
            else:
                route, recipient = "police", self.settings.police_email
                note = f"hosted in {country}, no partner hotline there: referral to the police"
                if recipient is None:
                    note += " (police_email is not set)"
        return Trace(
            host=host,
            ips=ips,
            country=country,
            asn=asn,
            organisation=organisation,
            abuse_contact=abuse,
            route=route,
            partner=partner,
            source=source,
            recipient=recipient,
            address=address,
            rule_line=rule.line if rule else None,
            note=note if error is None else f"{error}; {note}",
            error=error,
            lookups=lookups,
        )


def trace_host(
    host: str, *, settings: HotlineSettings, resolver: Resolver | None = None, tracer: Tracer | None = None
) -> Trace:
    """Trace one host (a name, an address, or a URL whose host is taken), reading the operator's files now,
    so that a rule changed since the last notice counts before the next one."""
    if tracer is not None:
        return tracer.trace(host, resolver=resolver)
    own = Tracer.from_settings(settings)
    try:
        return own.trace(host, resolver=resolver)
    finally:
        own.close()


def _host_of(value: str) -> str:
    text = value.strip()
    if "://" in text:
        try:
            text = urlsplit(text).hostname or ""
        except ValueError:
            text = ""
    return text.strip("[]").rstrip(".").lower()


def _open(path: Path, setting: str) -> maxminddb.Reader:
    try:
        return maxminddb.open_database(str(path))
    except FileNotFoundError:
        raise GeoDatabaseError(f"the GeoIP database ({setting}) does not exist; check the path") from None
    except (OSError, ValueError, maxminddb.InvalidDatabaseError):
        raise GeoDatabaseError(
            f"the GeoIP database ({setting}) is not a MaxMind-format (.mmdb) file"
        ) from None


def _geo_fields(record: dict[Any, Any]) -> GeoRecord:
    country: str | None = None
    for key in ("country", "registered_country"):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get("iso_code"), str):
            country = value["iso_code"]
            break
        if isinstance(value, str) and len(value) == 2:  # ipinfo-style flat records
            country = value
            break
    asn = record.get("autonomous_system_number", record.get("asn"))
    if isinstance(asn, str) and asn.upper().startswith("AS") and asn[2:].isdigit():
        asn = int(asn[2:])
    organisation = record.get("autonomous_system_organization", record.get("as_name"))
    return GeoRecord(
        country=country.upper() if country and country.isalpha() else None,
        asn=asn if isinstance(asn, int) and not isinstance(asn, bool) else None,
        organisation=organisation if isinstance(organisation, str) and organisation else None,
    )
