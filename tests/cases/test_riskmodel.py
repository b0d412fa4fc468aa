"""The risk model: the default model's rules table by table, a force's own model, and refused files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.cases.jsonlines import value_lines
from netsafe.cases.riskmodel import (
    MODEL_ENV,
    RiskModelError,
    default_model,
    load_model_file,
    model_in_force,
    parse_model,
)
from netsafe.cases.rules import Answer, assess

MODEL = default_model().model
ACCESS = ("lives_with_child", "works_with_children", "regular_contact_with_children")
FACILITATORS = ("online_contact_with_children", "grooming_or_incitement", "producing_images")
OTHER = ("other_convictions", "domestic_abuse", "substance_misuse", "mental_health")

Y, N, U = Answer.YES, Answer.NO, Answer.UNKNOWN


def _all(answer: Answer, **given: Answer) -> dict[str, Answer]:
    return {f.id: answer for f in MODEL.factors} | given


# Each rule of the default model, by the combination it names: (answers yes, level, rule, the words).
CASES: list[tuple[tuple[str, ...], str, str | None, str]] = [
    (
        ("lives_with_child", "online_contact_with_children"),
        "very_high",
        "access_and_facilitator",
        "Very High: access to children (lives with a child) and contact with children online "
        "(rule access_and_facilitator)",
    ),
    (
        ("works_with_children", "producing_images"),
        "very_high",
        "access_and_facilitator",
        "Very High: access to children (works or volunteers with children) and producing images "
        "(rule access_and_facilitator)",
    ),
    (
        ("regular_contact_with_children", "sexual_offence_conviction"),
        "very_high",
        "access_and_sexual_history",
        "Very High: access to children (has regular contact with children) and a sexual offence conviction "
        "(rule access_and_sexual_history)",
    ),
    (
        ("lives_with_child", "previous_allegations"),
        "very_high",
        "access_and_sexual_history",
        "Very High: access to children (lives with a child) and previous allegations of sexual offending "
        "(rule access_and_sexual_history)",
    ),
    (
        ("lives_with_child", "works_with_children"),
        "high",
        "access_to_children",
        "High: access to children (lives with a child and works or volunteers with children) "
        "(rule access_to_children)",
    ),
    (
        ("grooming_or_incitement",),
        "high",
        "current_facilitator",
        "High: grooming or incitement indicators (rule current_facilitator)",
    ),
    (
        ("sexual_offence_conviction",),
        "high",
        "sexual_offence_conviction",
        "High: a sexual offence conviction (rule sexual_offence_conviction)",
    ),
    (
        ("previous_allegations",),
        "medium",
        "previous_allegations",
        "Medium: previous allegations of sexual offending (rule previous_allegations)",
    ),
    (
        ("domestic_abuse", "substance_misuse"),
        "medium",
        "other_factors",
        "Medium: other factors (2 of 4: domestic abuse and substance misuse) (rule other_factors)",
    ),
    (("mental_health",), "low", None, "Low: no rule holds for what was answered yes (mental health concerns) "
     "(the model's default level)"),
    ((), "low", None, "Low: no factor answered yes (the model's default level)"),
]  # fmt: skip


@pytest.mark.parametrize(("yes", "level", "rule", "words"), CASES)
def test_default_model_levels_and_reasons(
    yes: tuple[str, ...], level: str, rule: str | None, words: str
) -> None:
    outcome = assess(MODEL, _all(N, **dict.fromkeys(yes, Y)))
    assert (outcome.level, outcome.rule, outcome.reasons[0]) == (level, rule, words)
    assert outcome.gaps == []


@pytest.mark.parametrize("factor", ACCESS)
def test_access_to_children_alone_is_at_least_high(factor: str) -> None:
    for rest in (N, U):
        outcome = assess(MODEL, _all(rest, **{factor: Y}))
        assert MODEL.rank(outcome.level) <= MODEL.rank("high"), (factor, rest)


def test_no_factor_gives_low_and_unknowns_are_gaps_not_no() -> None:
    assert assess(MODEL, _all(N)).level == "low"
    outcome = assess(MODEL, {"lives_with_child": Y, "online_contact_with_children": U})
    assert outcome.level == "high"
    gaps = {g.factor: g.could_raise_to for g in outcome.gaps}
    # Not answered is unknown too; only a yes that would raise the level says so.
    assert set(gaps) == {f.id for f in MODEL.factors} - {"lives_with_child"}
    assert gaps["online_contact_with_children"] == "Very High"
    assert gaps["sexual_offence_conviction"] == "Very High"
    assert gaps["domestic_abuse"] is None


def test_every_rule_of_the_default_model_is_in_the_table() -> None:
    assert {r.id for r in MODEL.rules} == {rule for _, _, rule, _ in CASES if rule}


def test_targets_and_show() -> None:
    shown = MODEL.summary()
    assert {k: v["target_days"] for k, v in shown["levels"].items()} == {
        "very_high": 1, "high": 7, "medium": 14, "low": 30
    }  # fmt: skip
    assert {"id", "step", "question"} == set(shown["factors"][0])
    assert len(shown["rules"]) == len(MODEL.rules)


def _default_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(default_model_path()).read_text())
    return data


def default_model_path() -> str:
    from importlib import resources

    return str(resources.files("netsafe.cases").joinpath("default_model.json"))


def test_a_custom_model_changes_the_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _default_data()
    # This force treats mental health concerns on their own as Medium and acts on Medium in 10 days.
    data["name"] = "Example force model"
    data["rules"].append({"id": "mental_health", "level": "medium", "when": "mental_health"})
    data["levels"][2]["target_days"] = 10
    file = tmp_path / "force.json"
    file.write_text(json.dumps(data, indent=2))
    answers = {"mental_health": Y}
    assert assess(MODEL, answers).level == "low"
    monkeypatch.setenv(MODEL_ENV, str(file))
    loaded = model_in_force()
    assert loaded.origin == "force.json" and loaded.model.name == "Example force model"
    outcome = assess(loaded.model, answers)
    assert (outcome.level, outcome.rule) == ("medium", "mental_health")
    assert loaded.model.level("medium").target_days == 10


def _indented(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


BAD: list[tuple[str, Any, str, str]] = [
    # (what is changed, how, the field named, the text on the line named)
    ("rules.2.level", "urgent", "rules[2].level: 'urgent' is not one of the levels", '"urgent"'),
    ("levels.1.target_days", -3, "levels[1].target_days: Input should be greater than or equal to 0", "-3"),
    ("factors.4.step", "elsewhere", "factors[4].step: 'elsewhere' is not one of the steps", '"elsewhere"'),
    (
        "rules.0.when.all.1.any.2",
        "baking",
        "rules[0].when.all[1].any[2]: unknown factor 'baking'",
        '"baking"',
    ),
    (
        "factors.2.id",
        "works_with_children",
        "factors[3].id: id 'works_with_children' is given twice",
        "works",
    ),
    ("rules.4.when", 12, "rules[4].when: a condition is a factor's id", "12"),
    ("rules.6.when.at_least", 9, "rules[6].when: at_least 9 of 4 conditions can never hold", '"when"'),
    ("factors.0.colour", "red", "factors[0].colour: Extra inputs are not permitted", '"colour"'),
    ("format", "kirat", "format: Input should be 'netsafe-risk-model'", '"kirat"'),
]


def _set(data: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[int(part)] if part.isdigit() else data[part]
    data[int(last) if last.isdigit() else last] = value


@pytest.mark.parametrize(("where", "value", "field", "on_line"), BAD)
def test_an_invalid_model_is_refused_with_line_and_field(
    tmp_path: Path, where: str, value: Any, field: str, on_line: str
) -> None:
    data = _default_data()
    _set(data, where, value)
    text = _indented(data)
    file = tmp_path / "bad.json"
    file.write_text(text)
    with pytest.raises(RiskModelError) as err:
        load_model_file(file)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path) not in message
    assert message.startswith("bad.json:"), message
    line = int(message.split(":")[1])
    assert message.split(": ", 1)[1].startswith(field), message
    # The line named holds the bad value (or the key of the object that lacks or wrongly has it).
    shown = text.splitlines()[line - 1]
    assert on_line in shown or where.rsplit(".", maxsplit=1)[-1] in shown, (message, shown)


def test_syntax_errors_and_unreadable_files(tmp_path: Path) -> None:
    file = tmp_path / "broken.json"
    file.write_text('{\n  "format": "netsafe-risk-model",\n  "version": 1,\n  "name": oops\n}\n')
    with pytest.raises(RiskModelError, match=r"^broken\.json:4: not valid JSON"):
        load_model_file(file)
    with pytest.raises(RiskModelError, match=r"^missing\.json: cannot read"):
        load_model_file(tmp_path / "missing.json")
    with pytest.raises(RiskModelError, match="not UTF-8"):
        parse_model(b"\xff\xfe{}", "x.json")
    with pytest.raises(RiskModelError, match=r"^x\.json:1: format: Field required"):
        parse_model("{}", "x.json")


def test_a_missing_field_names_its_object_line() -> None:
    data = _default_data()
    del data["factors"][3]["question"]
    text = _indented(data)
    with pytest.raises(RiskModelError) as err:
        parse_model(text, "m.json")
    assert "factors[3].question: Field required" in str(err.value)
    line = int(str(err.value).split(":")[1])
    assert line == _line_of(text, '"works_with_children"') - 1  # the factor's opening brace


# --- the loader on untrusted input ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_load_or_fail_in_one_line(raw: bytes) -> None:
    try:
        parse_model(raw, "m.json")
    except RiskModelError as err:
        assert "\n" not in str(err) and str(err).startswith("m.json")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_damaged_default_model_fails_naming_a_line_in_the_file(data: st.DataObject) -> None:
    model = _default_data()
    # Replace one value somewhere in the document with an arbitrary JSON value.
    paths = [p for p in value_lines(json.dumps(model)) if p]
    where = data.draw(st.sampled_from(paths))
    target: Any = model
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = data.draw(json_values)
    text = json.dumps(model, indent=data.draw(st.sampled_from([None, 1, 2])))
    try:
        parse_model(text, "m.json")
    except RiskModelError as err:
        message = str(err)
        assert "\n" not in message
        head = message.split(": ", maxsplit=1)[0]
        assert head.startswith("m.json:"), message
        assert 1 <= int(head.split(":")[1]) <= len(text.splitlines())


@settings(max_examples=200, deadline=None)
@given(json_values, st.sampled_from([None, 0, 2]))
def test_value_lines_agree_with_json(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    lines = value_lines(text)
    assert lines[()] == 1

    def paths(v: Any, at: tuple[Any, ...]) -> set[tuple[Any, ...]]:
        out = {at}
        if isinstance(v, dict):
            for k, x in v.items():
                out |= paths(x, (*at, k))
        elif isinstance(v, list):
            for n, x in enumerate(v):
                out |= paths(x, (*at, n))
        return out

    assert set(lines) == paths(value, ())
    if indent:
        for path, line in lines.items():
            if path and isinstance(path[-1], str):
                assert json.dumps(path[-1]) in text.splitlines()[line - 1]


def test_a_replaced_model_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "force.json"
    data = _default_data()
    file.write_text(json.dumps(data | {"name": "first"}))
    monkeypatch.setenv(MODEL_ENV, str(file))
    assert model_in_force().model.name == "first"
    assert model_in_force() is model_in_force()  # parsed once while unchanged
    file.write_text(json.dumps(data | {"name": "the second"}))
    assert model_in_force().model.name == "the second"
    file.write_text("{")
    with pytest.raises(RiskModelError, match=r"^force\.json:1: not valid JSON"):
        model_in_force()
