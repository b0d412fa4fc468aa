"""Hostile JSON shapes (issue 18, items 1, 5 and 9): deep nesting, one huge string, one huge number.

Each is refused with one located line and bounded memory and work, and the records before it are kept.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from netsafe.hashsets import formats
from netsafe.hashsets.formats.jsonguard import MAX_JSON_DEPTH, MAX_STRING_BYTES
from netsafe.hashsets.model import Entry, ImportIssue

from .helpers import errors, split

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
MD5_2 = "0123456789abcdef0123456789abcdef"
HEAD = b'{"@odata.context":"x/DataModels/2.0.xml/UK/$metadata#Media","value":[{"MD5":"%s"},' % MD5.encode()
# Address space the child may add to what it has after importing netsafe: far below the 2.4 GB that
# 30,000 levels took before the depth limit.
HEADROOM = 300 << 20

_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from netsafe.hashsets import formats
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[2]), size + int(sys.argv[2])))
    items = list(formats.get("vics").read(sys.argv[1], name="hostile.json"))
    print(json.dumps([str(i) if not hasattr(i, "signals") else "entry" for i in items]))
    """
)


def _read_in_child(path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(HEADROOM)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: list[str] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("depth", [30_000, 100_000])
def test_deep_nesting_is_one_line_under_a_memory_limit(depth: int, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(HEAD + b'{"MD5":"%s","Tags":' % MD5_2.encode() + b"[" * depth + b"]" * depth + b"}]}")
    items = _read_in_child(path)
    assert items[0] == "entry"
    (message,) = items[1:]
    assert message.startswith("hostile.json:2: field Tags: ")
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in message and "\n" not in message


def test_deep_nesting_before_the_records_names_the_field() -> None:
    data = b'{"Other":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b',"value":[]}'
    entries, issues = split(formats.get("vics").read(io.BytesIO(data), name="t.json"))
    assert entries == []
    (problem,) = issues
    assert (problem.record, problem.severity) == (0, "error")
    assert problem.message.startswith("field Other: JSON nested deeper than 64 levels")


@pytest.mark.parametrize("size", [4 << 20, 8 << 20])
def test_one_huge_string_is_refused_after_reading_little(size: int) -> None:
    stream = io.BytesIO(HEAD + b'{"MD5":"%s","Comments":"' % MD5_2.encode() + b"a" * size + b'"}]}')
    entries, issues = split(formats.get("vics").read(stream, name="t.json"))
    assert [e.signals["md5"] for e in entries] == [MD5]
    (problem,) = issues
    assert (problem.record, problem.field) == (2, "Comments")
    assert "longer than 64 KiB" in problem.message
    # The work is bounded by the limit, not by the string: the reader stopped a few chunks past the limit
    # (before the limit it read all 4 or 8 MB: the time grew with the square of the length).
    assert stream.tell() < MAX_STRING_BYTES + (256 << 10)


def test_a_string_at_the_limit_is_read() -> None:
    comment = "é" * (MAX_STRING_BYTES // 2)  # two bytes each: exactly the limit
    data = json.dumps({"value": [{"MD5": MD5, "Comments": comment}]}, ensure_ascii=False).encode()
    entries, issues = split(formats.get("vics").read(io.BytesIO(data), name="t.json"))
    assert issues == [] and entries[0].comments == comment


def test_a_huge_integer_does_not_crash_the_interpreter(tmp_path: Path) -> None:
    # ijson's C backend crashed (SIGSEGV) on an integer of more than 4,300 digits: run in a child.
    path = tmp_path / "number.json"
    path.write_bytes(HEAD + b'{"MD5":"%s","MediaSize":' % MD5_2.encode() + b"7" * 5000 + b"}]}")
    items = _read_in_child(path)
    assert items[0] == "entry"
    (message,) = items[1:]
    assert message.startswith("hostile.json:2: field MediaSize: a number longer than 256 characters")


@pytest.mark.parametrize("depth", [100, 5_000, 60_000])  # 60,000: just under the CSV field limit
def test_deep_json_in_a_csv_cell_is_one_issue_with_line_and_column(depth: int) -> None:
    cell = '"' + "[" * depth + "]" * depth + '"'
    data = f"md5,media_files,comments\n{MD5},{cell},x\n{MD5_2},,y\n".encode()
    items = list(formats.get("csv").read(io.BytesIO(data), name="t.csv"))
    entries = [i for i in items if isinstance(i, Entry)]
    problems = [i for i in items if isinstance(i, ImportIssue)]
    assert [e.signals["md5"] for e in entries] == [MD5_2]
    (problem,) = errors(problems)
    assert (problem.record, problem.field) == (2, "media_files")
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in problem.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_limits_hold_through_byte_order_marks_and_utf16(encoding: str) -> None:
    depth = 30_000
    deep = "[" * depth + "]" * depth
    text = '{"value":[{"MD5":"' + MD5 + '"},{"MD5":"' + MD5_2 + '","Tags":' + deep + "}]}"
    entries, issues = split(formats.get("vics").read(io.BytesIO(text.encode(encoding)), name="t.json"))
    assert len(entries) == 1
    (problem,) = issues
    assert (problem.record, problem.field) == (2, "Tags") and "nested deeper" in problem.message
