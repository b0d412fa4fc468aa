"""What a person types for a case (references, dates, choices, answers, FACTOR=VALUE pairs): any text is
accepted or refused with one line of the InvalidInput kind, never another exception."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.cases.rules import parse_answer
from netsafe.cases.vocab import ActionKind, Source, check_reference, check_text, parse_choice, parse_day
from netsafe.cli.case_cmd import _pairs
from netsafe.errors import InvalidInput

PARSERS: list[Callable[[str], Any]] = [
    check_reference,
    lambda t: parse_day(t, "--received"),
    lambda t: parse_choice(Source, t, "--source"),
    lambda t: parse_choice(ActionKind, t, "--kind"),
    parse_answer,
    lambda t: check_text(t, "note", 20),
    lambda t: _pairs([t], "--answer"),
]


@pytest.mark.parametrize("parse", PARSERS)
@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=120))
def test_any_text_is_taken_or_refused_in_one_line(parse: Callable[[str], Any], text: str) -> None:
    try:
        parse(text)
    except InvalidInput as err:
        assert "\n" not in str(err) and len(str(err)) < 400


def test_references_follow_the_rule() -> None:
    assert check_reference(" NS-2026.001_a ") == "NS-2026.001_a"
    for bad in ("", "-x", "a/b", "a b", "x" * 65, "Model", "../x", "é"):
        with pytest.raises(InvalidInput):
            check_reference(bad)
