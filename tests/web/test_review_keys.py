"""The grid's keys: a category's code when it is one character, else its first letter, never a key the
grid keeps for moving, skipping, ignoring, undoing or unblurring."""

from __future__ import annotations

from netsafe.hashsets.profiles import available_profiles, load_profile
from netsafe.web.pages.review import RESERVED_KEYS, category_keys


def test_keys_examiners_expect() -> None:
    uk = [(c.code, c.label) for c in load_profile("uk-caid").categories]
    assert [k["key"] for k in category_keys(uk)] == ["a", "b", "c", "n"]
    vic = [(c.code, c.label) for c in load_profile("vic-us").categories]
    assert [k["key"] for k in category_keys(vic)] == ["1", "2", "3", "4", "0"]


def test_every_profile_gets_distinct_free_keys() -> None:
    awkward = [("I", "clashes with ignore"), ("SU", "starts with skip"), ("V1", "v"), ("II", "i again")]
    for categories in [
        [(c.code, c.label) for c in load_profile(p).categories] for p in available_profiles()
    ] + [awkward]:
        keys = [k["key"] for k in category_keys(categories)]
        assert len(set(keys)) == len(keys) and not set(keys) & RESERVED_KEYS
