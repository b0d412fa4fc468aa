"""CSV with a header row.

Columns are found by name: common spellings are recognised (``md5``, ``MD5 Hash``, ``sha-256``, ``PDQ``,
``MediaID``, ``Category``, ``File Name``...), and ``columns={"pdq": "Perceptual"}`` names any of them
explicitly (field -> column header). The delimiter is sniffed from the header line (``,`` ``;`` tab ``|``)
unless given. Columns netsafe does not know are kept in ``extra``.

netsafe writes every field, with ``alternative_hashes``, ``media_files``, ``vpdq`` and ``extra`` as JSON
in their cells, so that a CSV export re-imports to the same entries.

The reader is in :mod:`~netsafe.hashsets.formats.csv_read`, the writer in
:mod:`~netsafe.hashsets.formats.csv_write` and the column names both use in
:mod:`~netsafe.hashsets.formats.csv_columns`; this module is their public face, the one the format registry
names.
"""

from __future__ import annotations

from netsafe.hashsets.formats.csv_columns import DEFAULT_HEADERS, FIELDS, SYNONYMS, WRITE_FIELDS, map_columns
from netsafe.hashsets.formats.csv_read import read
from netsafe.hashsets.formats.csv_write import write

__all__ = ["DEFAULT_HEADERS", "FIELDS", "NAME", "SYNONYMS", "WRITE_FIELDS", "map_columns", "read", "write"]

NAME = "csv"
