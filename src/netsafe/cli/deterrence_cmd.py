"""``netsafe deterrence``: import the URL and keyword lists, check, export for blocking, read the counts.

Every command calls one operation of ``netsafe.deterrence`` as the command-line actor, as the API does.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from netsafe.cli.common import command_store
from netsafe.cli.common import emit_json as _emit
from netsafe.cli.errors import handled
from netsafe.deterrence import exports, importers
from netsafe.errors import InvalidInput

if TYPE_CHECKING:
    from netsafe.store.db import Database

COMMAND = "netsafe deterrence"
MAX_FILE = 512 * 1024 * 1024

app = typer.Typer(
    name="deterrence",
    help="Deterrence: URL and keyword lists, checks, exports for DNS and proxies, counts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _store() -> AbstractContextManager[Database]:
    return command_store(COMMAND)


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE:
            raise InvalidInput(f"{path.name}: larger than {MAX_FILE // (1024 * 1024)} MiB")
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name}: not UTF-8 text") from None
    except OSError as err:
        raise InvalidInput(f"{path.name}: cannot read it ({err.strerror})") from None


def _import(kind: str, path: Path, name: str, fmt: str | None, source: str | None, json_out: bool) -> None:
    from netsafe.audit.service import Actor
    from netsafe.deterrence import lists

    with handled(COMMAND):
        text = _read(path)
        chosen = importers.format_of(path.name, fmt)
    with _store() as db:
        out = lists.import_list(db, Actor.cli(), name, kind, text, chosen, where=path.name, source=source)
    if json_out:
        _emit(out)
    else:
        typer.echo(
            f"{out['list']} v{out['version']}: {out['added']} added, {out['unchanged']} already listed"
        )


FORMAT_HELP = "txt, csv or json (default: from the file's extension; txt otherwise)."


@app.command("import-urls")
def import_urls(
    file: Path = typer.Argument(..., help="One URL a line; CSV with a url column; or JSON."),
    name: str = typer.Option(..., "--name", help="The list to add to (created if new)."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    source: str | None = typer.Option(None, "--source", help="Where the list came from (default per entry)."),
    json_out: bool = typer.Option(False, "--json", help='Print {"list", "version", "added", "unchanged"}.'),
) -> None:
    """Add a file of URLs: a full URL, a URL ending in * (a prefix) or a bare host name (the whole host)."""
    _import("url", file, name, fmt, source, json_out)


@app.command("import-keywords")
def import_keywords(
    file: Path = typer.Argument(
        ..., help="One term a line; CSV with a term column (match: word|inside); JSON."
    ),
    name: str = typer.Option(..., "--name", help="The list to add to (created if new)."),
    fmt: str | None = typer.Option(None, "--format", help=FORMAT_HELP),
    source: str | None = typer.Option(None, "--source", help="Where the list came from (default per entry)."),
    json_out: bool = typer.Option(False, "--json", help='Print {"list", "version", "added", "unchanged"}.'),
) -> None:
    """Add a file of search terms and phrases in any language; whole words unless marked inside."""
    _import("keyword", file, name, fmt, source, json_out)


@app.command("sync-hotline")
def sync_hotline(json_out: bool = typer.Option(False, "--json", help="Print the change.")) -> None:
    """Bring list 'hotline' up to the hotline's live confirmed URLs (new ones in, taken-down ones out)."""
    from netsafe.audit.service import Actor
    from netsafe.deterrence import lists

    with _store() as db:
        out = lists.sync_hotline(db, Actor.cli())
    _emit(out) if json_out else typer.echo(f"hotline v{out['version']}: +{out['added']} -{out['removed']}")


@app.command("lists")
def lists_command(json_out: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """The lists, their kinds, versions and sizes."""
    from netsafe.deterrence import lists

    with _store() as db:
        out = lists.list_lists(db)
    if json_out:
        _emit(out)
        return
    for row in out:
        typer.echo(f"{row['name']}\t{row['kind']}\tv{row['version']}\t{row['entries']} entries")


@app.command("check")
def check_command(
    url: str | None = typer.Option(None, "--url", help="A URL to check."),
    query: str | None = typer.Option(None, "--query", help="A search to check."),
    json_out: bool = typer.Option(
        False, "--json", help='Print {"blocked", "kind", "entry_id", "warning_url"}.'
    ),
) -> None:
    """Check a URL or a search as the API does (and counted as it is). Exit 0 either way."""
    from netsafe.deterrence import checking

    with _store() as db, handled(COMMAND):
        out = checking.check(db, checking.Checker(db, 0), url=url, query=query)
    if json_out:
        _emit(out)
    else:
        typer.echo(f"blocked: {out['kind']} entry {out['entry_id']}" if out["blocked"] else "not listed")


@app.command("export")
def export_command(
    fmt: str = typer.Option("txt", "--format", help="rpz, squid, hosts or txt."),
    name: str | None = typer.Option(None, "--name", help="One list only (default: every URL list)."),
    rpz_target: str = typer.Option(
        ".", "--rpz-target", help="RPZ: CNAME target (your warning host; . = NXDOMAIN)."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write to this file (default: standard output)."),
) -> None:
    """The URL list for blocking infrastructure; DNS formats carry whole-host entries only."""
    from netsafe.deterrence import lists

    with _store() as db, handled(COMMAND):
        text = exports.render(lists.live_entries(db, "url", name), fmt, rpz_target)
        if out is None:
            sys.stdout.write(text)
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as err:
            raise InvalidInput(f"--out {out.name}: cannot write it ({err.strerror})") from None


@app.command("counts")
def counts_command(
    published: bool = typer.Option(False, "--published", help="Suppress cells under min_published_count."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON array (a suppressed cell is null)."),
) -> None:
    """Checks, warnings and help clicks per list entry, variant and day."""
    from netsafe.deterrence import counting
    from netsafe.web.config import load_settings

    with handled(COMMAND):
        minimum = load_settings().deterrence.min_published_count
    with _store() as db:
        rows = counting.counts(db, published, minimum)
    if json_out:
        _emit(rows)
        return
    for r in rows:
        cells = "\t".join("-" if r[k] is None else str(r[k]) for k in counting.COLUMNS)
        typer.echo(f"{r['day']}\t{r['list'] or '-'}\t{r['entry_id'] or '-'}\t{r['variant'] or '-'}\t{cells}")
