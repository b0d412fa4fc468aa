"""The frames a reading process sends its import: whatever they hold comes back as it was sent, by either
encoding (marshal for plain values, pickle for anything else)."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats.vics import object_type
from netsafe.hashsets.model import ImportIssue
from netsafe.services import import_feed

_PLAIN = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)
_ISSUE = ImportIssue("l.json", 3, "MD5", "bad MD5", "error", '{"MD5": 1}')


def _other() -> st.SearchStrategy[Any]:
    record = object_type()()
    record["FileName"] = "a.jpg"
    return st.sampled_from([_ISSUE, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), record])


def _frames(items: list[Any]) -> list[tuple[bytes, Any]]:
    out = io.BytesIO()
    import_feed._send_items(out, items)
    import_feed._send(out, ("end",))
    data, found = out.getvalue(), []
    while data:
        (size,) = struct.unpack("!Q", data[:8])
        body, data = data[8 : 8 + size], data[8 + size :]
        found.append((body[:1], import_feed._message(body)))
    return found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_PLAIN, _PLAIN, _PLAIN), max_size=5), st.lists(_other(), max_size=2))
def test_a_frame_comes_back_as_it_was_sent(rows: list[Any], others: list[Any]) -> None:
    items: list[Any] = rows + others
    (kind, message), end = _frames(items)
    assert message == ("items", items)
    assert [type(i) for i in message[1]] == [dict if isinstance(i, dict) else type(i) for i in items]
    assert kind == (b"P" if others else b"M")
    assert end == (b"P", ("end",))
