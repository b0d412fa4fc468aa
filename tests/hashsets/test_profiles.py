from __future__ import annotations

import json
from pathlib import Path

import pytest

from netsafe.hashsets import profiles
from netsafe.hashsets.profiles import (
    ProfileError,
    available_profiles,
    load_profile,
    load_profile_file,
    map_category,
    profile_from_dict,
)


def test_builtin_profiles() -> None:
    assert {"uk-caid", "vic-us"} <= set(available_profiles())
    uk, us = load_profile("uk-caid"), load_profile("vic-us")
    assert uk.region == "UK" and us.region == "US"
    assert uk.codes == ["A", "B", "C", "NP"]
    assert uk.labels == {"A": "Category A", "B": "Category B", "C": "Category C", "NP": "Non-pertinent"}
    assert us.codes == ["1", "2", "3", "4", "0"]
    assert uk.severity_order == ["A", "B", "C", "NP"]
    assert us.severity_order[0] == "1" and us.severity_order[-1] == "0"
    assert uk.label(None) == "Uncategorised" and uk.label("A") == "Category A"
    assert us.label("3") == "CGI / animation"
    assert uk.most_severe(["C", None, "A"]) == "A" and uk.most_severe([None]) is None


def test_vics_integers_round_trip() -> None:
    for name in ("uk-caid", "vic-us"):
        profile = load_profile(name)
        for code in profile.codes:
            assert profile.from_vics(profile.vics_code(code)) == code
        assert profile.vics_code(None) is None and profile.from_vics(None) is None
    uk, us = load_profile("uk-caid"), load_profile("vic-us")
    assert uk.from_vics(0) is None  # uncategorised in the UK profile
    assert us.from_vics(0) == "0"  # non-pertinent in the US profile
    with pytest.raises(ProfileError, match="VICS category 9"):
        uk.from_vics(9)


def test_parse_accepts_codes_labels_aliases_and_vics_numbers() -> None:
    uk, us = load_profile("uk-caid"), load_profile("vic-us")
    assert [uk.parse(t) for t in ("A", "b", "Category C", "cat a", "Non-pertinent", "1", 2)] == [
        "A", "B", "C", "A", "NP", "A", "B",
    ]  # fmt: skip
    assert uk.parse("") is None and uk.parse("Uncategorised") is None and uk.parse(None) is None
    assert us.parse("1") == "1" and us.parse("CGI") == "3"
    with pytest.raises(ProfileError, match="unknown category 'D'"):
        uk.parse("D")
    with pytest.raises(ProfileError):
        uk.parse(True)  # type: ignore[arg-type]


def test_mapping_between_profiles() -> None:
    assert [map_category(c, "uk-caid", "vic-us") for c in ("A", "B", "C", "NP", None)] == [
        "1",
        "1",
        "1",
        "0",
        None,
    ]
    assert [map_category(c, "vic-us", "uk-caid") for c in ("0", "1", "2", "3", "4")] == [
        "NP", None, None, None, "NP",
    ]  # fmt: skip
    assert map_category("B", "uk-caid", "uk-caid") == "B"
    with pytest.raises(ProfileError, match="unknown category"):
        map_category("Z", "uk-caid", "vic-us")
    with pytest.raises(ProfileError, match="unknown grading profile"):
        load_profile("nowhere")


def _custom(name: str = "vic-ca") -> dict[str, object]:
    return {
        "name": name,
        "region": "CA",
        "categories": [
            {"code": "1", "label": "Cat 1", "severity": 2, "vics": 1},
            {"code": "2", "label": "Cat 2", "severity": 1, "vics": 2},
            {"code": "0", "label": "Not", "severity": 0, "vics": 0},
        ],
        "map_from": {"uk-caid": {"A": "1", "B": "1", "C": "2", "NP": "0"}},
        "map_to": {"vic-us": {"1": "1", "2": "2", "0": "0"}},
    }


def test_adding_a_profile_is_a_data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "vic-ca.json").write_text(json.dumps(_custom()), encoding="utf-8")
    monkeypatch.setenv(profiles.PROFILES_ENV, str(tmp_path))
    assert "vic-ca" in available_profiles()
    ca = load_profile("vic-ca")
    assert ca.region == "CA" and ca.from_vics(2) == "2"
    assert map_category("C", "uk-caid", "vic-ca") == "2"  # the new file's map_from
    assert map_category("2", "vic-ca", "vic-us") == "2"
    with pytest.raises(ProfileError, match="no mapping from profile vic-us to vic-ca"):
        map_category("1", "vic-us", "vic-ca")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"name": ""}, "'name'"),
        ({"region": "U/K"}, "'region'"),
        ({"categories": []}, "'categories'"),
        ({"categories": [{"code": "1", "label": "a"}, {"code": "1", "label": "b"}]}, "duplicate"),
        (
            {"categories": [{"code": "1", "label": "a", "vics": 1}, {"code": "2", "label": "b", "vics": 1}]},
            "twice",
        ),
        ({"categories": [{"code": "1", "label": "a", "vics": "one"}]}, "'vics'"),
        ({"map_to": {"vic-us": {"9": "1"}}}, "unknown codes"),
        ({"map_to": {"vic-us": {"1": 5}}}, "map codes"),
    ],
)
def test_malformed_profiles_are_rejected(patch: dict[str, object], message: str) -> None:
    data = _custom()
    data.update(patch)
    with pytest.raises(ProfileError, match=message):
        profile_from_dict(data, "x.json")


def test_bad_profile_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad.json:1: not valid JSON"):
        load_profile_file(bad)
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile_file(tmp_path / "missing.json")
