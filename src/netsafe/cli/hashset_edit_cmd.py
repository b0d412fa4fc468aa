"""``netsafe hashset create|add|remove|rename``: changing a set by hand, as the API's curators can.

Registered on ``hashset_cmd.app``; every command calls one operation of ``netsafe.services.hashsets`` with
the command-line actor, which checks, changes and audits in one transaction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from netsafe.cli.common import emit_json
from netsafe.cli.errors import handled
from netsafe.cli.hashset_cmd import COMMAND, app, store
from netsafe.errors import InvalidInput
from netsafe.hashsets.profiles import DEFAULT_PROFILE
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.types import parse_typed

if TYPE_CHECKING:
    from netsafe.services import hashsets as service

# Keys a line of ``add --entries`` may carry (the API's entry object).
ENTRY_KEYS = ("signals", "category", "source_id", "series", "tags", "comments")
# A line longer than this is not an entry (the longest, PhotoDNA with comments, is a few KB).
MAX_LINE = 64 * 1024


@app.command("create")
def create_command(
    name: str = typer.Argument(..., help="Name of the new set (letters, digits, '-', '_', '.')."),
    profile: str = typer.Option(DEFAULT_PROFILE, "--profile", help="Grading profile (uk-caid, vic-us, ...)."),
    description: str | None = typer.Option(None, "--description", help="What the set is."),
    source: str | None = typer.Option(None, "--source", help="Where it comes from (CAID, IWF, ...)."),
    kind: str = typer.Option(
        "match",
        "--kind",
        help="match; ignore: known-benign files, left out of review and counts; self-reported.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the new set as one JSON object."),
) -> None:
    """Create an empty hash set (then `hashset add` or `hashset import` fills it)."""
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    with store() as db:
        info = service.create_set(db, Actor.cli(), name, profile, description, source, kind)
    if json_out:
        emit_json(service.info_dict(info))
    else:
        typer.echo(f"created {info.name} (profile {info.profile})", err=True)


@app.command("add")
def add_command(
    name: str = typer.Argument(..., help="Hash set name."),
    entries: Path | None = typer.Option(
        None,
        "--entries",
        help="JSON Lines, one entry a line: {signals: {md5: ...}, category, source_id, series, tags, "
        "comments}.",
    ),
    hashes: list[str] | None = typer.Option(
        None, "--hash", help="An entry by one hash, SIGNAL:HEX (md5:..., pdq:...); repeatable."
    ),
    category: str | None = typer.Option(None, "--category", help="Category code of the --hash entries."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object."),
) -> None:
    """Add entries (or update those with the same key) as one new version of the set: all or nothing."""
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    with handled(COMMAND):
        items: list[service.NewEntry] = []
        if entries is not None:
            items += _read_entries(entries)
        items += [_hash_entry(text, category) for text in hashes or []]
        if entries is not None and category is not None:
            raise InvalidInput("--category applies to --hash entries; give each line of --entries its own")
        if not items:
            raise InvalidInput(
                "give --entries FILE.jsonl or --hash SIGNAL:HEX (repeatable) to say what to add"
            )
    with store() as db:
        result = service.add_entries(db, Actor.cli(), name, items)
    if json_out:
        emit_json(result.as_dict())
    else:
        typer.echo(
            f"{result.name}: version {result.version}, {result.added} added, {result.updated} updated",
            err=True,
        )


def _hash_entry(text: str, category: str | None) -> service.NewEntry:
    from netsafe.services import hashsets as service

    where = f"--hash {text[:72]}"
    try:
        signals = parse_typed(text)
    except HashFormatError as err:
        raise InvalidInput(f"--hash {err}") from None
    if len(signals) > 1:
        raise InvalidInput(f"{where}: may be {' or '.join(signals)}; write it as SIGNAL:HEX to say which")
    return service.NewEntry(signals=signals, category=category, where=where)


def _read_entries(path: Path) -> list[service.NewEntry]:
    """The entries of a JSON Lines file, each error naming ``FILE:LINE`` (blank lines skipped)."""
    from netsafe.services import hashsets as service

    items: list[service.NewEntry] = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                where = f"{path.name}:{number}"
                if len(line) > MAX_LINE:
                    raise InvalidInput(f"{where}: a line of {len(line):,} characters is not an entry")
                if not line.strip():
                    continue
                if len(items) >= service.MAX_ADD:
                    raise InvalidInput(
                        f"{path.name}: more than {service.MAX_ADD:,} entries; import a larger list as a file "
                        "(`netsafe hashset import`)"
                    )
                items.append(_entry_of(_json_object(line, where), where))
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    return items


def _json_object(line: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as err:
        raise InvalidInput(f"{where}: not JSON: {str(err)[:120]}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: expected one JSON object per line")
    return data


def _entry_of(data: dict[str, Any], where: str) -> service.NewEntry:
    from netsafe.services import hashsets as service

    unknown = sorted(set(data) - set(ENTRY_KEYS))
    if unknown:
        raise InvalidInput(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(ENTRY_KEYS)})")
    signals = data.get("signals")
    if not isinstance(signals, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in signals.items()
    ):
        raise InvalidInput(f'{where}: signals: expected an object of hex strings, e.g. {{"md5": "..."}}')
    text: dict[str, str | None] = {}
    for key in ("category", "source_id", "series", "comments"):
        value = data.get(key)
        if value is not None and not isinstance(value, str | int):
            raise InvalidInput(f"{where}: {key}: expected text")
        text[key] = None if value is None else str(value)
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput(f"{where}: tags: expected a list of text")
    return service.NewEntry(signals=signals, tags=tags, where=where, **text)


@app.command("remove")
def remove_command(
    name: str = typer.Argument(..., help="Hash set name."),
    entries: list[int] | None = typer.Option(
        None, "--entry", "-e", help="Entry id to remove (as `netsafe match` reports it); repeatable."
    ),
    hashes: list[str] | None = typer.Option(
        None, "--hash", help="Remove the entries carrying this hash (SIGNAL:HEX or bare hex); repeatable."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what was removed as one JSON object."),
) -> None:
    """Remove single entries (and their votes) from a hash set, as one new version: all or nothing."""
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    if not entries and not hashes:
        with handled(COMMAND):
            raise InvalidInput("give --entry ID or --hash HEX (repeatable) to say what to remove")
    with store() as db:
        result = service.remove_entries(db, Actor.cli(), name, entries or [], hashes or [])
    if json_out:
        emit_json(result.as_dict())
    else:
        typer.echo(
            f"removed {len(result.removed):,} entries from {result.name} (now version {result.version})",
            err=True,
        )


@app.command("rename")
def rename_command(
    old: str = typer.Argument(..., help="The set's name now (exactly, even if it breaks the name rule)."),
    new: str = typer.Argument(..., help="Its new name (letters, digits, '-', '_', '.')."),
    json_out: bool = typer.Option(False, "--json", help="Print the renamed set as one JSON object."),
) -> None:
    """Rename a hash set (its entries, version and match index stay)."""
    from netsafe.audit.service import Actor
    from netsafe.services import hashsets as service

    with store() as db:
        info = service.rename_set(db, Actor.cli(), old, new)
    if json_out:
        emit_json(service.info_dict(info))
    else:
        typer.echo(f"renamed {old!r} to {info.name}", err=True)


__all__ = ["add_command", "create_command", "remove_command", "rename_command"]
