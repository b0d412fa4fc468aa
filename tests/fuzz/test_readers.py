"""Every reader, fed hostile lists, yields only entries and one-line issues (or raises FormatError), in
bounded time. Run by CI with a fixed budget: ``max_examples`` keeps each test to a few seconds."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets import formats
from netsafe.hashsets.formats import FormatError
from netsafe.hashsets.model import Entry, ImportIssue

from .strategies import csv_documents, documents, sum_lines, text_documents, tx_lines

# A deadline well above the slowest example seen (about 50 ms) yet far below what a quadratic shape costs.
BUDGET = settings(
    max_examples=60,
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def read_all(fmt: str, data: bytes, **options: Any) -> list[Entry | ImportIssue]:
    try:
        items = list(formats.read(fmt, io.BytesIO(data), name="fuzz", **options))
    except FormatError as err:  # the one documented exception (bad option, cannot open)
        assert "\n" not in str(err)
        return []
    for item in items:
        assert isinstance(item, Entry | ImportIssue), item
        if isinstance(item, ImportIssue):
            assert "\n" not in str(item) and "\r" not in str(item)
            assert item.severity in ("error", "warning")
            assert item.record >= 0
    return items


@pytest.mark.parametrize("fmt", ["vics", "csv", "hashdeep", "md5sum", "tx"])
@BUDGET
@given(data=st.data())
def test_written_then_mutated_lists(fmt: str, data: st.DataObject) -> None:
    read_all(fmt, data.draw(documents(fmt)))


@BUDGET
@given(document=csv_documents())
def test_hostile_csv(document: bytes) -> None:
    items = read_all("csv", document)
    # Nothing is read in silence from a line that is not UTF-8: a warning says how it was read.
    if any(isinstance(i, Entry) for i in items):
        try:
            document.decode("utf-8")
        except UnicodeDecodeError:
            assert any(isinstance(i, ImportIssue) and "UTF-8" in i.message for i in items)


@pytest.mark.parametrize("fmt", ["md5sum", "sha1sum", "sha256sum"])
@BUDGET
@given(document=text_documents(sum_lines))
def test_hostile_sums(fmt: str, document: bytes) -> None:
    read_all(fmt, document)


@BUDGET
@given(document=text_documents(tx_lines), signal=st.sampled_from([None, "pdq", "md5"]))
def test_hostile_threatexchange(document: bytes, signal: str | None) -> None:
    read_all("tx", document, signal=signal)


@BUDGET
@given(
    columns=st.lists(st.sampled_from(["size", "md5", "sha1", "sha256", "tiger", "MD5", "x"]), max_size=5),
    lines=st.lists(st.text(max_size=60), max_size=6),
)
def test_hostile_hashdeep(columns: list[str], lines: list[str]) -> None:
    head = f"%%%% HASHDEEP-1.0\n%%%% {','.join([*columns, 'filename'])}\n## c\n"
    items = read_all("hashdeep", (head + "\n".join(lines)).encode("utf-8", "surrogatepass"))
    folded = [c.lower() for c in columns]
    if len(set(folded)) != len(folded):  # a hash named twice is refused, never half read
        assert not any(isinstance(i, Entry) for i in items)
