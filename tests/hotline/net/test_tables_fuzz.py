"""The two CSV readers on any text: a table or one TableError line, never anything else."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.hotline.tables import HOSTING_RULES_HEADER, PARTNERS_HEADER, HostingRules, Partners, TableError

_cell = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
_row = st.lists(_cell, min_size=0, max_size=7)


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> str:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell

    return "\n".join([",".join(header)] + [",".join(quote(cell) for cell in row) for row in rows]) + "\n"


def _one_line(err: TableError, what: str) -> None:
    text = str(err)
    assert text.startswith(what) and "\n" not in text and "\r" not in text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text(text: str) -> None:
    for parse, what in ((HostingRules.parse, "hosting rules"), (Partners.parse, "partners")):
        try:
            parse(text)
        except TableError as err:
            _one_line(err, what)


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=8))
def test_rows_under_a_good_header(rows: list[list[str]]) -> None:
    for header, parse, what in (
        (HOSTING_RULES_HEADER, HostingRules.parse, "hosting rules"),
        (PARTNERS_HEADER, Partners.parse, "partners"),
    ):
        try:
            parse(_csv(header, rows))
        except TableError as err:
            _one_line(err, what)
            assert " line " in str(err)


_networks = st.one_of(
    st.builds(
        lambda a, p: ipaddress.ip_network((a, p), strict=False), st.ip_addresses(v=4), st.integers(0, 32)
    ),
    st.builds(
        lambda a, p: ipaddress.ip_network((a, p), strict=False), st.ip_addresses(v=6), st.integers(0, 128)
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_networks, unique=True, max_size=10),
    st.sampled_from(["", "GB", "nl"]),
    st.sampled_from(["", "64500", "AS1"]),
    st.sampled_from(["", "abuse@host.test"]),
)
def test_valid_rules_round_trip(
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], country: str, asn: str, abuse: str
) -> None:
    rows = [[str(net), country, asn, "Org, Ltd", abuse] for net in networks]
    rules = HostingRules.parse(_csv(HOSTING_RULES_HEADER, rows))
    assert len(rules) == len(networks)
    for net in networks:
        match = rules.match(net.network_address)
        assert match is not None and match.network.prefixlen >= net.prefixlen
        assert match.organisation == "Org, Ltd"
