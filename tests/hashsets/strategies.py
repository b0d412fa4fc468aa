"""Hypothesis strategies for hash-set entries (benign, made-up hashes)."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from netsafe.hashsets.model import Entry
from netsafe.signals.vpdq import VpdqFrame


def hexes(nbytes: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=nbytes, max_size=nbytes).map(bytes.hex)


def _photodna_bytes(seed: int) -> bytes:
    # Drawn from a seed: 144 random bytes per example would exhaust Hypothesis' entropy budget.
    return random.Random(seed).randbytes(144)


photodna = st.one_of(
    st.integers(0, 2**32).map(lambda n: _photodna_bytes(n).hex().upper()),
    st.integers(0, 2**32).map(lambda n: base64.b64encode(_photodna_bytes(n)).decode()),
)
SIGNAL_STRATEGIES: dict[str, st.SearchStrategy[str]] = {
    "md5": hexes(16),
    "sha1": hexes(20),
    "sha256": hexes(32),
    "pdq": hexes(32),
    "photodna": photodna,
}


@st.composite
def signal_sets(draw: st.DrawFn, names: tuple[str, ...] = tuple(SIGNAL_STRATEGIES)) -> dict[str, str]:
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    return {name: draw(SIGNAL_STRATEGIES[name]) for name in chosen}


ALT_NAMES = st.sampled_from(["TLSH", "ssdeep", "Custom1"])
words = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")
times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), words)
frames = st.builds(
    VpdqFrame,
    frame=st.integers(0, 10**6),
    timestamp=st.floats(0, 10**6, allow_nan=False, allow_infinity=False),
    quality=st.integers(0, 100),
    pdq=hexes(32),
)


@st.composite
def full_entries(draw: st.DrawFn, codes: list[str]) -> Entry:
    extra: dict[str, Any] = draw(
        st.dictionaries(st.from_regex(r"X[a-z]{1,8}", fullmatch=True), json_scalars, max_size=3)
    )
    return Entry(
        signals=draw(signal_sets()),
        vpdq=draw(st.none() | st.lists(frames, min_size=1, max_size=3)),
        alternative_hashes=draw(st.dictionaries(ALT_NAMES, words, max_size=2)),
        source_id=draw(st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)),
        category=draw(st.none() | st.sampled_from(codes)),
        series=draw(st.none() | words),
        victim_identified=draw(st.none() | st.booleans()),
        offender_identified=draw(st.none() | st.booleans()),
        distributed=draw(st.none() | st.booleans()),
        tags=draw(st.lists(words, max_size=3)),
        comments=draw(st.none() | words),
        media_size=draw(st.none() | st.integers(0, 2**40)),
        mime_type=draw(st.none() | st.sampled_from(["image/jpeg", "image/png", "video/mp4"])),
        media_files=draw(
            st.lists(st.fixed_dictionaries({"FileName": words, "Deleted": st.booleans()}), max_size=2)
        ),
        first_seen=draw(st.none() | times),
        last_seen=draw(st.none() | times),
        extra=extra,
    )


def unique_entries(strategy: st.SearchStrategy[Entry], max_size: int = 5) -> st.SearchStrategy[list[Entry]]:
    return st.lists(strategy, max_size=max_size, unique_by=lambda e: e.key())
