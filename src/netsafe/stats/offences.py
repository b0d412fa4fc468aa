"""Importing recorded offences by force area and year from CSV (``force,year,offence,count[,population]``):
all rows or none, a row already held for the same force, year and offence replaced, and its audit event in
the same transaction."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput
from netsafe.stats.forces import find_force
from netsafe.stats.models import OffenceRow
from netsafe.store.db import Database

COLUMNS = ("force", "year", "offence", "count")
_YEAR = re.compile(r"^(19|20)\d\d(/\d\d)?$")
MAX_ROWS = 100_000


def _number(text: str, where: str, what: str) -> int:
    cleaned = text.strip().replace(",", "")
    if not cleaned.isdigit():
        raise InvalidInput(f"{where}: {what} {text[:30]!r} is not a whole number of 0 or more")
    return int(cleaned)


def parse(text: str, name: str = "offences CSV") -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _rows(reader, name)
    except csv.Error as err:
        raise InvalidInput(f"{name} line {reader.line_num}: not CSV ({err}); check its quotes") from None


def _rows(reader: csv.DictReader[str], name: str) -> list[dict[str, Any]]:
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            f"{name} line 1: the header needs columns {', '.join(COLUMNS)} (missing {missing[0]})"
        )
    reader.fieldnames = header
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for line, raw in enumerate(reader, start=2):
        if len(out) >= MAX_ROWS:
            raise InvalidInput(f"{name} line {line}: more than {MAX_ROWS} rows; split the file")
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        where = f"{name} line {line}"
        force = find_force(row["force"])
        if force is None:
            raise InvalidInput(
                f"{where}: unknown police force {row['force'][:60]!r}; use a force area's name "
                "(the 43 of England and Wales, Police Scotland or PSNI)"
            )
        year = row["year"].replace("-", "/")
        if not _YEAR.match(year):
            raise InvalidInput(
                f"{where}: year {row['year'][:20]!r} should be YYYY or a financial year YYYY/YY"
            )
        offence = row["offence"]
        if not offence or len(offence) > 200:
            raise InvalidInput(f"{where}: offence should be 1 to 200 characters")
        count = _number(row["count"], where, "count")
        population = row.get("population") or ""
        out[(force.code, year, offence)] = {
            "force": force.code,
            "year": year,
            "offence": offence,
            "count": count,
            "population": _number(population, where, "population") or None if population else None,
        }
    if not out:
        raise InvalidInput(f"{name}: no rows after the header")
    return list(out.values())


def import_offences(db: Database, actor: Actor, text: str, name: str = "offences CSV") -> dict[str, Any]:
    rows = parse(text, name)
    now = datetime.now(UTC)
    with db.session() as session:
        for row in rows:
            session.execute(
                delete(OffenceRow).where(
                    OffenceRow.force == row["force"],
                    OffenceRow.year == row["year"],
                    OffenceRow.offence == row["offence"],
                )
            )
            session.add(OffenceRow(**row, imported_at=now))
        forces = len({r["force"] for r in rows})
        record(
            session, actor, "stats.import_offences", "stats:offences", {"rows": len(rows), "forces": forces}
        )
    return {"rows": len(rows), "forces": forces}
