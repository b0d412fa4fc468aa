"""Host tracing: rules win over the GeoIP database, routes by country, partners and abuse contacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet  # type: ignore[import-untyped]

from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.tables import HostingRules, Partners, TableError
from netsafe.hotline.trace import GeoDatabaseError, trace_host

from .conftest import FakeResolver

RULES = """# the operator's own rules
network,country,asn,organisation,abuse_contact
127.0.0.0/8,GB,AS64500,Loopback Hosting Ltd,abuse@loopback.test
127.1.0.0/16,GB,,,
198.51.100.0/24,,64501,,abuse@doc-net.test
"""
PARTNERS = """country,name,email
NL,Meldpunt Test,reports@meldpunt.test
"""


def _mmdb(path: Path, kind: str, entries: dict[str, dict[str, object]]) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=kind)
    for network, record in entries.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def configured(tmp_path: Path) -> HotlineSettings:
    (tmp_path / "rules.csv").write_text(RULES)
    (tmp_path / "partners.csv").write_text(PARTNERS)
    country = _mmdb(
        tmp_path / "country.mmdb",
        "GeoLite2-Country",
        {
            "127.0.0.0/8": {"country": {"iso_code": "US"}},
            "192.0.2.0/24": {"country": {"iso_code": "NL"}},
            "203.0.113.0/24": {"country": {"iso_code": "FR"}},
            "198.51.100.0/24": {"country": {"iso_code": "GB"}},
            "2001:db8::/32": {"country": {"iso_code": "NL"}},
        },
    )
    asn = _mmdb(
        tmp_path / "asn.mmdb",
        "GeoLite2-ASN",
        {
            "192.0.2.0/24": {
                "autonomous_system_number": 64496,
                "autonomous_system_organization": "Doc One BV",
            },
            "198.51.100.0/24": {"autonomous_system_number": 1, "autonomous_system_organization": "Doc Two"},
        },
    )
    return HotlineSettings(
        country="GB",
        hosting_rules=tmp_path / "rules.csv",
        partners=tmp_path / "partners.csv",
        geoip_db=country,
        asn_db=asn,
        police_email="referrals@police.test",
    )


@pytest.fixture
def names() -> FakeResolver:
    return FakeResolver(
        {
            "home.test": ["127.0.0.1"],
            "nl.test": ["192.0.2.7"],
            "fr.test": ["203.0.113.9"],
            "doc.test": ["198.51.100.20"],
            "nocontact.test": ["127.1.2.3"],
            "nowhere.test": ["233.252.0.1"],
            "v6.test": ["2001:db8::5"],
            "multi.test": ["233.252.0.1", "192.0.2.8"],
        }
    )


def test_rules_win_and_route_home_to_the_abuse_contact(
    configured: HotlineSettings, names: FakeResolver
) -> None:
    trace = trace_host("home.test", settings=configured, resolver=names)
    assert (trace.country, trace.asn, trace.organisation) == ("GB", 64500, "Loopback Hosting Ltd")
    assert (trace.route, trace.recipient, trace.abuse_contact) == (
        "host",
        "abuse@loopback.test",
        "abuse@loopback.test",
    )
    assert trace.source == "rules" and trace.rule_line == 3 and trace.ips == ["127.0.0.1"]


def test_abroad_with_a_partner(configured: HotlineSettings, names: FakeResolver) -> None:
    trace = trace_host("http://NL.test./a/b.jpg", settings=configured, resolver=names)
    assert (trace.host, trace.country, trace.asn, trace.organisation) == (
        "nl.test",
        "NL",
        64496,
        "Doc One BV",
    )
    assert trace.route == "partner" and trace.partner is not None and trace.partner.name == "Meldpunt Test"
    assert trace.recipient == "reports@meldpunt.test" and trace.source == "geoip"


def test_abroad_without_a_partner_goes_to_police(configured: HotlineSettings, names: FakeResolver) -> None:
    trace = trace_host("fr.test", settings=configured, resolver=names)
    assert (trace.route, trace.recipient, trace.partner) == ("police", "referrals@police.test", None)


def test_home_without_abuse_contact_is_unknown_and_says_why(
    configured: HotlineSettings, names: FakeResolver
) -> None:
    trace = trace_host("nocontact.test", settings=configured, resolver=names)
    assert trace.route == "unknown" and trace.recipient is None
    assert trace.rule_line == 4 and "no abuse contact" in trace.note
    assert trace.asn is None  # the /16 rule, the more specific one, names none and the database neither


def test_rule_fields_fill_from_the_database(configured: HotlineSettings, names: FakeResolver) -> None:
    trace = trace_host("doc.test", settings=configured, resolver=names)
    assert (trace.country, trace.asn, trace.organisation) == ("GB", 64501, "Doc Two")
    assert trace.source == "rules+geoip" and trace.route == "host" and trace.recipient == "abuse@doc-net.test"


def test_nothing_known_and_dns_failure(configured: HotlineSettings, names: FakeResolver) -> None:
    trace = trace_host("nowhere.test", settings=configured, resolver=names)
    assert (trace.route, trace.source, trace.country) == ("unknown", "none", None)
    gone = trace_host("gone.test", settings=configured, resolver=names)
    assert gone.route == "unknown" and gone.ips == [] and gone.error == "dns: gone.test could not be resolved"


def test_ipv6_and_several_addresses(configured: HotlineSettings, names: FakeResolver) -> None:
    assert trace_host("v6.test", settings=configured, resolver=names).country == "NL"
    multi = trace_host("multi.test", settings=configured, resolver=names)
    assert multi.address == "192.0.2.8" and multi.country == "NL" and len(multi.lookups) == 2
    assert trace_host("192.0.2.1", settings=configured, resolver=names).country == "NL"


def test_no_files_configured_is_unknown() -> None:
    trace = trace_host("127.0.0.1", settings=HotlineSettings())
    assert trace.route == "unknown" and trace.source == "none"


def test_a_broken_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.mmdb").write_bytes(b"not a database at all" * 10)
    for path in (tmp_path / "bad.mmdb", tmp_path / "missing.mmdb"):
        with pytest.raises(GeoDatabaseError) as caught:
            trace_host("127.0.0.1", settings=HotlineSettings(geoip_db=path))
        assert "\n" not in str(caught.value) and str(tmp_path) not in str(caught.value)


def test_rules_and_partners_parse() -> None:
    rules = HostingRules.parse(RULES)
    assert len(rules) == 3 and rules.rules[0].network.prefixlen == 24
    assert Partners.parse(PARTNERS).get("nl") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "hosting rules: the file is empty"),
        ("net,country\n", "hosting rules line 1: the first line must be the header"),
        (
            "network,country,asn,organisation,abuse_contact\n10.0.0.0/33,GB,,,\n",
            "line 2: network '10.0.0.0/33'",
        ),
        ("network,country,asn,organisation,abuse_contact\n10.0.0.1/8,GB,,,\n", "did you mean 10.0.0.0/8?"),
        ("network,country,asn,organisation,abuse_contact\n\n10.0.0.0/8,GBR,,,\n", "line 3: country 'GBR'"),
        ("network,country,asn,organisation,abuse_contact\n10.0.0.0/8,GB,ASX,,\n", "line 2: asn 'ASX'"),
        (
            "network,country,asn,organisation,abuse_contact\n10.0.0.0/8,GB,,,nobody\n",
            "abuse_contact 'nobody'",
        ),
        ("network,country,asn,organisation,abuse_contact\n10.0.0.0/8,GB\n", "line 2: 2 fields, expected 5"),
        (
            "network,country,asn,organisation,abuse_contact\n10.0.0.0/8,,,,\n10.0.0.0/8,,,,\n",
            "already on line 2",
        ),
        ('network,country,asn,organisation,abuse_contact\n10.0.0.0/8,,,"x\n', "line 2: not valid CSV"),
    ],
)
def test_hosting_rule_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(TableError) as caught:
        HostingRules.parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_partner_errors_and_files(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="line 3: country NL already has a partner on line 2"):
        Partners.parse(PARTNERS + "nl,Other,o@x.test\n")
    with pytest.raises(TableError, match="line 2: email 'x' is not an email address"):
        Partners.parse("country,name,email\nDE,Someone,x\n")
    (tmp_path / "p.csv").write_bytes(b"country,name,email\nDE,\xff\xfe,x@y.test\n")
    with pytest.raises(TableError, match="line 2: not UTF-8"):
        Partners.load(tmp_path / "p.csv")
    with pytest.raises(TableError) as caught:
        Partners.load(tmp_path / "absent.csv")
    assert str(tmp_path) not in str(caught.value)
