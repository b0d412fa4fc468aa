"""The signal registry: one rule for reading each kind of hash, whichever door it came through."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsafe.errors import InvalidInput
from netsafe.signals import types
from netsafe.signals.codecs import HashFormatError
from netsafe.store.models import EntryRow

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PDNA_HEX = "ab" * 144


def test_bare_hex_goes_by_length_and_64_hex_is_tried_as_both() -> None:
    assert types.parse_typed(MD5) == {"md5": MD5}
    assert types.parse_typed(f"  {SHA1.upper()} ") == {"sha1": SHA1}
    assert types.parse_typed(SHA256) == {"sha256": SHA256, "pdq": SHA256}
    assert types.parse_typed(PDNA_HEX) == {"photodna": PDNA_HEX}


def test_a_named_signal_is_read_by_its_own_rule() -> None:
    assert types.parse_typed(f"PDQ:{SHA256}") == {"pdq": SHA256}
    assert types.parse_typed(f"sha-256:{SHA256}") == {"sha256": SHA256}
    b64 = base64.b64encode(bytes(range(144))).decode()
    assert types.parse_typed(f"photodna:{b64}") == {"photodna": b64}
    assert types.parse_typed(b64) == {"photodna": b64}
    assert types.REGISTRY["photodna"].key(b64) == bytes(range(144)).hex()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("xyz:" + MD5, "unknown signal"),
        ("md5:" + SHA1, "expected 32 hex"),
        ("1234", "not a hash netsafe knows"),
        ("g" * 32, "not a hash netsafe knows"),
        ("vpdq:" + SHA256, "cannot be typed"),
        ("a" * 5000, "longer than any hash"),
    ],
)
def test_bad_typed_hashes_are_one_line_invalid_input(text: str, says: str) -> None:
    with pytest.raises(HashFormatError) as caught:
        types.parse_typed(text)
    assert isinstance(caught.value, InvalidInput)
    message = str(caught.value)
    assert says in message and "\n" not in message and len(message) < 400


@given(st.text(max_size=600))
def test_any_text_parses_or_is_refused_in_one_line(text: str) -> None:
    try:
        found = types.parse_typed(text)
    except HashFormatError as err:
        assert "\n" not in str(err)
    else:
        assert found and all(types.REGISTRY[name].normalise(v) == v for name, v in found.items())


def test_every_signal_type_has_its_store_column_and_a_sane_threshold() -> None:
    for kind in types.REGISTRY.values():
        assert kind.store_column is not None and hasattr(EntryRow, kind.store_column)
        assert 0 <= kind.default_threshold <= kind.max_threshold <= 256
        assert kind.exact == (kind.default_threshold == 0)
    assert types.EXACT_SIGNALS == ("md5", "sha1", "sha256", "photodna")
    assert types.CRYPTO_SIGNALS == ("md5", "sha1", "sha256")
    assert set(types.KEY_ORDER) == set(types.ENTRY_SIGNALS)
