"""Hostile hash lists for the fuzzing harness: well-formed lists from netsafe's own writers (built on
``hashsets.strategies``), then cut, spliced and salted with the shapes the security trial of issue 18
found harmful (deep nesting, long strings and numbers, stray quotes, repeated keys, bytes that are not
UTF-8)."""

from __future__ import annotations

import io
from collections.abc import Callable

from hypothesis import strategies as st

from hashsets.strategies import full_entries, unique_entries
from netsafe.hashsets import formats
from netsafe.hashsets.model import Entry
from netsafe.hashsets.profiles import load_profile

CODES = load_profile("uk-caid").codes
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

# Snippets that broke or nearly broke a reader, spliced anywhere into a list.
HOSTILE = st.sampled_from(
    [
        b"[" * 200,
        b"{" * 100,
        b'{"a":' * 80,
        b"]" * 50,
        b'"',
        b'\\"',
        b"\\",
        b'"' + b"x" * 70_000 + b'"',
        b"9" * 5_000,
        b"1e99999",
        b"-0.0000000000000000000000000001",
        b'"MD5":"' + MD5.encode() + b'",',
        b'"md5":"' + MD5.upper().encode() + b'",',
        b"\x00",
        b"\xff\xfe",
        b"\xef\xbb\xbf",
        b"\xe9",
        b"\r",
        b"\n",
        b",,,,",
        b'"a\nb"',
        b"%%%% size,md5,md5,filename\n",
        b"%%%% HASHDEEP-1.0\n",
        b"md5,md5\n",
        b"pdq " + PDQ.encode() + b"\n",
        b"\\" + MD5.encode() + b"  \\n\n",
    ]
)


def written(fmt: str, entries: list[Entry]) -> bytes:
    out = io.StringIO()
    formats.write(fmt, entries, out)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """``base`` with a few cuts, splices of hostile snippets and flipped bytes."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "flip", "cut"]))
        if action == "insert":
            data[at:at] = draw(HOSTILE | st.binary(max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
    return bytes(data)


def documents(fmt: str) -> st.SearchStrategy[bytes]:
    """Lists in ``fmt`` as netsafe writes them, then mutated."""
    write_as = {"md5sum": "md5sum", "sha1sum": "sha1sum", "sha256sum": "sha256sum"}.get(fmt, fmt)
    base = unique_entries(full_entries(CODES), max_size=4).map(lambda es: written(write_as, es))
    return base.flatmap(mutated)


def _csv_cell() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=12),
        st.sampled_from([MD5, PDQ, '"', '""', '"open', 'a"b', "[[[[", '{"x":' * 70, "\x00", "é"]),
    )


@st.composite
def csv_documents(draw: st.DrawFn) -> bytes:
    """CSV with recognised and repeated headers, quotes in odd places and cells that are not UTF-8."""
    header = draw(
        st.lists(
            st.sampled_from(["md5", "MD5", "pdq", "media_files", "extra", "comments", "tags", "x", ""]),
            min_size=1,
            max_size=6,
        )
    )
    rows = draw(st.lists(st.lists(_csv_cell(), max_size=len(header) + 1), max_size=5))
    text = "\n".join(",".join(r) for r in [header, *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


def text_documents(lines: Callable[[], st.SearchStrategy[str]]) -> st.SearchStrategy[bytes]:
    return st.lists(lines(), max_size=10).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass"))


def sum_lines() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            lambda h, n: f"{h}  {n}", st.sampled_from([MD5, MD5.upper(), "a" * 40, "b" * 64]), st.text()
        ),
        st.builds(lambda n: f"MD5 ({n}) = {MD5}", st.text()),
        st.builds(lambda n: f"\\{MD5} *{n}", st.text()),
        st.text(max_size=40),
    )


def tx_lines() -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            lambda s, v, n: f"{s} {v} {n}",
            st.sampled_from(["pdq", "md5", "video_md5", "x"]),
            st.sampled_from([PDQ, MD5, "zz"]),
            st.text(max_size=10),
        ),
        st.text(max_size=40),
    )
