from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator

from netsafe.hashsets.model import Entry, ImportIssue


def split(items: Iterable[Entry | ImportIssue]) -> tuple[list[Entry], list[ImportIssue]]:
    entries: list[Entry] = []
    issues: list[ImportIssue] = []
    for item in items:
        (entries if isinstance(item, Entry) else issues).append(item)  # type: ignore[arg-type]
    return entries, issues


def errors(issues: list[ImportIssue]) -> list[ImportIssue]:
    return [i for i in issues if i.severity == "error"]


def to_bytes(write: Callable[..., int], entries: list[Entry], **options: object) -> bytes:
    out = io.StringIO()
    write(entries, out, **options)
    return out.getvalue().encode("utf-8")


def read_bytes(
    read: Callable[..., Iterator[Entry | ImportIssue]], data: bytes, **options: object
) -> tuple[list[Entry], list[ImportIssue]]:
    return split(read(io.BytesIO(data), name="test", **options))
