"""Untrusted text made safe to write: names from evidence that are not valid UTF-8, and spreadsheet cells.

Not in any layer (it imports nothing from netsafe), so every layer that writes text may use it.

File names on POSIX are bytes; ``os.fsdecode`` (and tarfile) turn bytes that are not UTF-8 into lone
surrogates (``b"\\xff"`` -> ``"\\udcff"``), which no UTF-8 writer accepts. A name is evidence, so it is
never replaced: :func:`readable` shows such bytes as ``\\xff`` on one line and :func:`exact_hex` keeps the
exact bytes, from which :func:`from_hex` gives the original ``str`` back.
"""

from __future__ import annotations

import re

# Lone surrogates: what surrogateescape makes of undecodable bytes (U+DC80..U+DCFF), and any other.
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTE = range(0xDC80, 0xDD00)

# OWASP "CSV injection": a cell starting with one of these is a formula (or DDE) to Excel or LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_exact_utf8(text: str) -> bool:
    """True when ``text`` can be written as UTF-8 as it is (no lone surrogate)."""
    return _SURROGATE.search(text) is None


def exact_bytes(text: str) -> bytes:
    """The bytes a surrogate-escaped name stood for (UTF-8, with escaped bytes put back)."""
    return text.encode("utf-8", "surrogatepass" if _has_other_surrogates(text) else "surrogateescape")


def _has_other_surrogates(text: str) -> bool:
    return any(ord(c) not in _ESCAPED_BYTE for c in _SURROGATE.findall(text))


def exact_hex(text: str) -> str:
    return exact_bytes(text).hex()


def from_hex(hex_text: str) -> str:
    """The inverse of :func:`exact_hex` for names (surrogate-escaped where not UTF-8)."""
    return bytes.fromhex(hex_text).decode("utf-8", "surrogateescape")


def readable(text: str) -> str:
    """One printable line: control characters and undecodable bytes escaped (``\\xff``, ``\\n``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code in _ESCAPED_BYTE:
        return f"\\x{code - 0xDC00:02x}"  # the byte the name really had
    return ascii(char)[1:-1]


def utf8_safe(text: str) -> str:
    """``text`` unchanged if it is valid Unicode, else with lone surrogates escaped readably."""
    if is_exact_utf8(text):
        return text
    return _SURROGATE.sub(lambda m: _escape(m.group()), text)


def json_text(text: str) -> str:
    """JSON text (as ``json.dumps(..., ensure_ascii=False)`` makes it) that UTF-8 can encode: each lone
    surrogate, which can only be inside a string there, becomes its ``\\udcff`` escape, which a JSON
    reader turns back into the same character. Valid Unicode is returned unchanged."""
    if is_exact_utf8(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def formula_escaped(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet would read it as a formula; reversed exactly by
    :func:`formula_unescaped`.

    Text that already starts with quotes before a formula character (``'=x``) gets one more, so that
    reading strips exactly the one this added and never one the text had.
    """
    return "'" + text if text.lstrip("'").startswith(_FORMULA_START) else text


def formula_unescaped(cell: str) -> str:
    """The inverse of :func:`formula_escaped`: one leading ``'`` removed when what follows it (after any
    further quotes) starts with a formula character; any other cell unchanged."""
    if cell.startswith("'") and cell.lstrip("'").startswith(_FORMULA_START):
        return cell[1:]
    return cell


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a leading ``= + - @`` tab or CR gets a ``'`` in front.

    Numbers and ``None`` are passed through (a negative number is a number, not a formula); text from
    evidence is made valid UTF-8 first.
    """
    if not isinstance(value, str):
        return value
    value = utf8_safe(value)
    return "'" + value if value.startswith(_FORMULA_START) else value
