"""Work grows linearly with the size of the pathological shapes of issue 18 (or not at all, where a limit
stops the reader). Where the work can be counted (bytes read) it is; elsewhere the time for 4n is compared
with the time for n, with room for a noisy shared machine: linear is 4x, quadratic 16x, the bound 9x."""

from __future__ import annotations

import collections
import gc
import io
import time
from collections.abc import Callable

import pytest

from netsafe.hashsets import formats
from netsafe.hashsets.formats.jsonguard import MAX_STRING_BYTES
from netsafe.hashsets.model import ImportIssue

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
RECORD = b'{"MD5":"%s","Comments":"c","Tags":["a","b"],"MediaFiles":[{"FileName":"f.jpg"}]}' % MD5.encode()
HEAD = b'{"@odata.context":"x/DataModels/2.0.xml/UK/$metadata#Media","value":['


def read_consumed(fmt: str, data: bytes) -> tuple[int, list[ImportIssue]]:
    stream = io.BytesIO(data)
    issues = [i for i in formats.read(fmt, stream, name="t") if isinstance(i, ImportIssue)]
    return stream.tell(), issues


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: HEAD + RECORD + b',{"MD5":"%s","Tags":' % MD5.encode() + b"[" * n + b"]" * n + b"}]}",
        lambda n: HEAD + RECORD + b',{"MD5":"%s","Comments":"' % MD5.encode() + b"a" * n + b'"}]}',
        lambda n: HEAD + RECORD + b',{"MD5":"%s","Comments":"' % MD5.encode() + b"\\n" * n + b'"}]}',
        lambda n: HEAD + RECORD + b',{"MD5":"%s","MediaSize":' % MD5.encode() + b"7" * n + b"}]}",
        lambda n: b'{"x":' + b'{"a":' * n + b"1" + b"}" * n + b',"value":[]}',
    ],
    ids=["deep-list", "long-string", "long-escapes", "long-number", "deep-objects-before-records"],
)
def test_vics_stops_at_the_limit_whatever_the_size(shape: Callable[[int], bytes]) -> None:
    read = []
    for n in (1 << 20, 4 << 20):
        consumed, issues = read_consumed("vics", shape(n))
        assert [i.severity for i in issues] == ["error"], issues
        read.append(consumed)
    # The same few chunks are read whether the shape is 1 or 4 million levels or bytes long.
    assert read[0] == read[1] and read[1] < MAX_STRING_BYTES + (256 << 10)


def best_time(function: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def grows_linearly(make: Callable[[int], bytes], fmt: str, n: int) -> None:
    small, large = make(n), make(4 * n)

    def consume(data: bytes) -> None:
        # Nothing is kept: a growing heap would make the garbage collector's passes part of the figure.
        collections.deque(formats.read(fmt, io.BytesIO(data), name="t"), maxlen=0)

    gc.collect()
    t_small = best_time(lambda: consume(small))
    t_large = best_time(lambda: consume(large))
    assert t_large < max(9 * t_small, 0.01), (t_small, t_large)


# Sizes are chosen so that n takes at least a few milliseconds and 4n stays under the 1 MiB line limit.
CASES: dict[str, tuple[str, Callable[[int], bytes], int]] = {
    "vics-records": ("vics", lambda n: HEAD + b",".join([RECORD] * n) + b"]}", 2_000),
    "vics-wide-record": (
        "vics",
        lambda n: b'[{"MD5":"%s",' % MD5.encode() + b",".join(b'"k%d":1' % i for i in range(n)) + b"}]",
        5_000,
    ),
    "vics-strings-near-the-limit": (
        "vics",
        lambda n: (
            HEAD + b",".join([b'{"MD5":"%s","Comments":"%s"}' % (MD5.encode(), b"a" * 60_000)] * n) + b"]}"
        ),
        40,
    ),
    "csv-columns": (
        "csv",
        lambda n: (
            b"md5," + b",".join(b"c%d" % i for i in range(n)) + b"\n" + MD5.encode() + b",x" * n + b"\n"
        ),
        5_000,
    ),
    "csv-multiline-cells": ("csv", lambda n: b"md5,comments\n" + (MD5.encode() + b',"a\nb"\n') * n, 2_000),
    "csv-deep-json-cells": (
        "csv",
        lambda n: b"md5,media_files\n" + (MD5.encode() + b',"' + b"[" * 2_000 + b"]" * 2_000 + b'"\n') * n,
        50,
    ),
    "hashdeep-columns": (
        "hashdeep",
        lambda n: (
            b"%%%% HASHDEEP-1.0\n%%%% size,"
            + b",".join(b"h%d" % i for i in range(n))
            + b",filename\n"
            + b"1," * n
            + b"x\n"
        ),
        20_000,
    ),
    "bsd-parens": ("md5sum", lambda n: b"MD5 (" + b"() = " * n + b"\n", 50_000),
    "md5sum-lines": ("md5sum", lambda n: (MD5.encode() + b"  name\n") * n, 5_000),
    "tx-lines-with-notes": ("tx", lambda n: (b"md5 " + MD5.encode() + b" " + b"n " * 100 + b"\n") * n, 2_000),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_time_grows_linearly(case: str) -> None:
    fmt, make, n = CASES[case]
    grows_linearly(make, fmt, n)
