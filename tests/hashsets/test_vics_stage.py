"""The VICS reader's staging rows (``read(stage=...)``, what an import's reading process sends) against the
general conversion's entries made into rows by ``stage_values``: the same rows and issues for any record,
and the common shape really made in one step (``vics_fast.fast_row``)."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats import vics_fast
from netsafe.hashsets.formats.vics import read
from netsafe.hashsets.model import Entry, entry_values
from netsafe.hashsets.stage_rows import stage_values
from netsafe.services.import_read import read_rows, staging_rows

from .test_vics_fast import CONTEXT, _standard, records


def _file(records: list[Any]) -> io.BytesIO:
    return io.BytesIO(json.dumps({"@odata.context": CONTEXT, "value": records}).encode())


def _general(records: list[Any], set_id: int, sqlite: bool) -> list[Any]:
    return [
        stage_values(entry_values(item), set_id, sqlite) if isinstance(item, Entry) else item
        for item in read(_file(records), name="l.json", check_duplicates=False)
    ]


def _staged(records: list[Any], set_id: int, sqlite: bool) -> list[Any]:
    return list(read(_file(records), name="l.json", check_duplicates=False, stage=(set_id, sqlite)))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=8), st.integers(0, 40), st.booleans())
def test_staging_rows_are_what_the_general_reading_gives(batch: list[Any], set_id: int, sqlite: bool) -> None:
    assert _staged(batch, set_id, sqlite) == _general(batch, set_id, sqlite)


def test_the_common_shape_is_staged_in_one_step(monkeypatch: Any) -> None:
    taken: list[int] = []
    real = vics_fast.fast_row

    def counting(conv: Any, obj: Any, record: int, extras: Any, set_id: Any) -> Any:
        row = real(conv, obj, record, extras, set_id)
        if row is not None:
            taken.append(record)
        return row

    monkeypatch.setattr("netsafe.hashsets.formats.vics_read.fast_row", counting)
    batch = [_standard(i, Tags=" a; b ,c") for i in range(1, 6)]
    batch[2]["MediaFiles"] = []
    batch[3]["Tags"] = ""
    assert _staged(batch, 7, True) == _general(batch, 7, True)
    assert taken == [2, 3, 4, 5]


def test_an_import_reads_rows_the_one_way_or_the_other(tmp_path: Any) -> None:
    """read_rows (the reader's own rows) and staging_rows of the entries agree, with and without grading
    what the list left ungraded (then the rows are made from the entries)."""
    batch = [_standard(i) for i in range(1, 4)] + [_standard(4, Category=None), {"MediaID": 5}]
    path = tmp_path / "l.json"
    path.write_bytes(_file(batch).getvalue())
    for code in (None, "A"):
        from netsafe.services.import_read import read_items

        rows = list(read_rows("vics", path, "uk-caid", None, None, code, 3, False))
        plain = list(staging_rows(read_items("vics", path, "uk-caid", None, None, code), 3, False))
        assert rows == plain
        assert len(rows) == 5
