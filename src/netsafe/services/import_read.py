"""Reading a hash-list file for an import: its format's reader with the import's options, as entries and
issues. Kept apart from the store (no SQLAlchemy here) so that the process an import reads a large file in
(:mod:`netsafe.services.import_feed`) starts in a fraction of the time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from netsafe.hashsets import formats
from netsafe.hashsets.model import VALUES_CATEGORY, Entry, ImportIssue, entry_values
from netsafe.hashsets.stage_rows import stage_values
from netsafe.services.hashset_rules import UsageError

Progress = Callable[[int], None]
Values = tuple[Any, ...]


def reader(
    fmt: str,
    path: str | Path,
    profile: str,
    progress: Progress | None,
    columns: Mapping[str, str] | None = None,
    stage: tuple[int, bool] | None = None,
) -> Iterator[Entry | Values | ImportIssue]:
    spec = formats.get(fmt)
    options: dict[str, Any] = {"profile": profile, "progress": progress}
    accepted = inspect.signature(spec.read).parameters
    if columns:
        if "columns" not in accepted:
            raise UsageError(f"column mapping (--column) applies to CSV lists, not to {fmt}")
        options["columns"] = dict(columns)
    # The store finds duplicates itself in constant memory; a reader's own check would keep every key.
    if "check_duplicates" in accepted:
        options["check_duplicates"] = False
    # Entries as the plain values the import stages, where the reader can give them without an Entry.
    if "values" in accepted:
        options["values"] = True
    if stage is not None:
        options["stage"] = stage
    return spec.read(path, **options)


def read_rows(
    fmt: str,
    path: str | Path,
    profile: str,
    progress: Progress | None,
    columns: Mapping[str, str] | None,
    category_code: str | None,
    set_id: int,
    sqlite: bool,
) -> Iterator[Values | ImportIssue]:
    """:func:`staging_rows` of :func:`read_items`: the file's staging rows for set ``set_id`` and its
    issues. A reader that can make the rows itself does (the VICS one makes a common record's row in one
    step), unless the import grades what the list left ungraded."""
    if category_code is None and "stage" in inspect.signature(formats.get(fmt).read).parameters:
        return reader(fmt, path, profile, progress, columns, stage=(set_id, sqlite))  # type: ignore[return-value]
    return staging_rows(read_items(fmt, path, profile, progress, columns, category_code), set_id, sqlite)


def read_items(
    fmt: str,
    path: str | Path,
    profile: str,
    progress: Progress | None,
    columns: Mapping[str, str] | None,
    category_code: str | None,
) -> Iterator[Entry | Values | ImportIssue]:
    """The file's entries (graded with ``category_code`` where the list left them ungraded) and issues."""
    entries = reader(fmt, path, profile, progress, columns)
    if category_code is not None:
        entries = _graded(entries, category_code)
    return entries


def entry_rows(items: Iterator[Entry | Values | ImportIssue]) -> Iterator[Values | ImportIssue]:
    """Each entry as :func:`~netsafe.hashsets.model.entry_values` (what a reading process sends on)."""
    for item in items:
        yield entry_values(item) if isinstance(item, Entry) else item


def staging_rows(
    items: Iterator[Entry | Values | ImportIssue], set_id: int, sqlite: bool
) -> Iterator[Values | ImportIssue]:
    """Each entry (an Entry or its plain values) as its staging row for set ``set_id``
    (:func:`~netsafe.hashsets.stage_rows.stage_values`); issues pass as they are. The one way an import
    makes its rows, here or in the process that reads a large file."""
    for item in items:
        if isinstance(item, ImportIssue):
            yield item
        else:
            yield stage_values(entry_values(item) if isinstance(item, Entry) else item, set_id, sqlite)


def _graded(
    items: Iterator[Entry | Values | ImportIssue], code: str
) -> Iterator[Entry | Values | ImportIssue]:
    """Entries the list left ungraded get ``code``; a list's own grades are kept."""
    for item in items:
        if isinstance(item, tuple) and item[VALUES_CATEGORY] is None:
            yield (*item[:VALUES_CATEGORY], code, *item[VALUES_CATEGORY + 1 :])
            continue
        if isinstance(item, Entry) and item.category is None:
            item.category = code
        yield item
