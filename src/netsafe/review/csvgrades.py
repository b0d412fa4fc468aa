"""grades.csv: grades made in another tool, one line per item: a ``sha256`` or ``md5`` column and a
``category`` column (the profile's code, label or alias), with a header. Untrusted input: every problem is
one line naming the file, the line and the field; nothing is graded unless every line is good."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from netsafe.errors import InvalidInput

MAX_LINES = 100_000
MAX_FIELD = 1000
HASH_LENGTHS = {"sha256": 64, "md5": 32}
HEX = frozenset("0123456789abcdef")


class GradesFileError(InvalidInput):
    pass


@dataclass(frozen=True, slots=True)
class GradeLine:
    line: int
    signal: str  # sha256 | md5
    value: str  # lower-case hex
    category: str  # as written; the profile reads it


def _shown(text: str) -> str:
    return repr(text[:40])


def read_grades(data: bytes | str, name: str = "grades.csv") -> list[GradeLine]:
    """The lines of a grades file; GradesFileError (one line, ``NAME:LINE: field F: ...``) for the first
    problem."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise GradesFileError(f"{name}:{line}: not UTF-8 text: save the file as UTF-8 CSV") from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise GradesFileError(f"{name}:{line}: a NUL byte: not a CSV file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise GradesFileError(f"{name}:1: empty file: give a header line (sha256 or md5, category)")
        columns = [h.strip().lower() for h in header]
        if "category" not in columns:
            raise GradesFileError(f"{name}:1: field category: no category column in the header")
        keys = [k for k in ("sha256", "md5") if k in columns]  # signal-list: ok - the file's format
        if not keys:
            raise GradesFileError(f"{name}:1: field sha256: the header needs a sha256 or an md5 column")
        for col in set(columns):
            if col and columns.count(col) > 1:
                raise GradesFileError(f"{name}:1: field {_shown(col)}: the column appears twice")
        where = {c: i for i, c in enumerate(columns)}
        out: list[GradeLine] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(out) >= MAX_LINES:
                raise GradesFileError(f"{name}:{line}: more than {MAX_LINES:,} grades: split the file")
            long = next((i for i, cell in enumerate(row) if len(cell) > MAX_FIELD), None)
            if long is not None:
                field = columns[long] if long < len(columns) else f"#{long + 1}"
                raise GradesFileError(f"{name}:{line}: field {_shown(field)}: over {MAX_FIELD} characters")
            if len(row) != len(columns):
                raise GradesFileError(f"{name}:{line}: {len(row)} fields where the header has {len(columns)}")
            signal, value = "", ""
            for key in keys:
                cell = row[where[key]].strip().lower()
                if cell:
                    signal, value = key, cell
                    break
            if not value:
                raise GradesFileError(f"{name}:{line}: field {keys[0]}: empty: give the item's hash")
            if len(value) != HASH_LENGTHS[signal] or not set(value) <= HEX:
                raise GradesFileError(
                    f"{name}:{line}: field {signal}: {_shown(value)} is not {HASH_LENGTHS[signal]} hex digits"
                )
            category = row[where["category"]].strip()
            if not category:
                raise GradesFileError(f"{name}:{line}: field category: empty")
            out.append(GradeLine(line, signal, value, category))
    except csv.Error as err:
        raise GradesFileError(f"{name}:{reader.line_num}: not CSV: {str(err)[:80]}") from None
    return out
