"""Recorded offences from CSV: one force under its usual spellings, one-line errors naming the row, all or
nothing, and the section's rates and year-on-year change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.audit.service import Actor
from netsafe.errors import InvalidInput
from netsafe.stats.disclosure import Rule
from netsafe.stats.forces import FORCES, find_force
from netsafe.stats.offences import import_offences, parse
from netsafe.stats.service import show
from netsafe.store.db import Database

ACTOR = Actor("cli:analyst")

CSV = """force,year,offence,count,population
Avon & Somerset,2022,Sexual communication with a child,100,1700000
Avon and Somerset Constabulary,2023,Sexual communication with a child,120,1700000
Kent Police,2023,Sexual communication with a child,"1,234",1900000
London City of,2023,Sexual communication with a child,7,
"""


def test_the_forces_list() -> None:
    assert len(FORCES) == 45
    assert len({f.code for f in FORCES}) == 45
    names = ("Avon & Somerset", "Avon and Somerset Constabulary", "AVON AND SOMERSET POLICE")
    assert {find_force(n).code for n in names if find_force(n)} == {"avon-somerset"}
    assert all(find_force(n) is not None for n in names)
    assert find_force("PSNI") == find_force("Police Service of Northern Ireland")
    assert find_force("Met") == find_force("Metropolitan Police Service")
    assert find_force("Police Scotland") is not None and find_force("Narnia") is None


def test_import_and_show(db: Database) -> None:
    assert import_offences(db, ACTOR, CSV) == {"rows": 4, "forces": 3}
    out = show(db, ACTOR, "offences")
    rows = {(r["force"], r["year"]): r for r in out["rows"]}
    avon = rows[("Avon and Somerset Constabulary", "2023")]
    assert avon["count"] == 120 and avon["per_100k"] == 7.1 and avon["change_percent"] == 20.0
    assert rows[("Kent Police", "2023")]["count"] == 1234
    assert rows[("total", "2023")]["count"] == 1361
    published = show(db, ACTOR, "offences", rule=Rule())
    rows = {(r["force"], r["year"]): r for r in published["rows"]}
    assert rows[("City of London Police", "2023")]["count"] is None
    assert rows[("Avon and Somerset Constabulary", "2023")]["count"] is None  # secondary
    assert rows[("Kent Police", "2023")]["count"] == 1235
    # Importing again replaces, it does not add.
    import_offences(db, ACTOR, CSV)
    assert len(show(db, ACTOR, "offences")["rows"]) == len(out["rows"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Narnia,2023,x,5", "line 3: unknown police force 'Narnia'"),
        ("Kent,2023,x,-5", "line 3: count '-5' is not a whole number"),
        ("Kent,2023,x,lots", "line 3: count 'lots' is not a whole number"),
        ("Kent,23,x,5", "line 3: year '23' should be YYYY"),
    ],
)
def test_bad_rows_name_the_line_and_store_nothing(db: Database, line: str, message: str) -> None:
    text = f"force,year,offence,count\nKent,2023,x,5\n{line}\n"
    with pytest.raises(InvalidInput, match=message) as err:
        import_offences(db, ACTOR, text)
    assert "\n" not in str(err.value)
    assert show(db, ACTOR, "offences")["rows"] == []


def test_missing_column() -> None:
    with pytest.raises(InvalidInput, match="line 1: the header needs columns"):
        parse("force,year,count\n")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_fails_in_one_line(text: str) -> None:
    try:
        parse(text)
    except InvalidInput as err:
        assert "\n" not in str(err)
