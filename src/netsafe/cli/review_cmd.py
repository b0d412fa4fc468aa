"""``netsafe review``: a scan's review queue for batch use, over the same services as the API and the pages
(netsafe.review.service). The grader is ``--user NAME``, a user of the service whose role the service
checks (review; review:settle to settle), so the command line grants nothing the pages would not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from netsafe.cli.common import emit_json
from netsafe.cli.errors import handled
from netsafe.errors import InvalidInput

if TYPE_CHECKING:
    from netsafe.review.settings import ReviewSettings
    from netsafe.store.db import Database

COMMAND = "netsafe review"
MAX_GRADES_FILE = 16 << 20

app = typer.Typer(
    name="review",
    help="Review a scan's unknown images: list the near-duplicate groups, grade, import grades, undo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

USER = typer.Option(..., "--user", help="The grader: a user of the service (netsafe user list).")


def review_settings() -> ReviewSettings:
    """The ``[review]`` table of the config file ($NETSAFE_CONFIG), as the service reads it."""
    from netsafe.web.config import load_settings

    return load_settings().review


@contextmanager
def _store() -> Iterator[tuple[Database, ReviewSettings]]:
    from netsafe.store.db import open_database

    with handled(COMMAND):
        settings = review_settings()
        db = open_database()
        try:
            yield db, settings
        finally:
            db.dispose()


@app.command("scans")
def scans_command(
    limit: int = typer.Option(100, "--limit", min=1, max=1000, help="At most this many, newest first."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object a line."),
) -> None:
    """Scans in the store: evidence, examiner, status, counts by category, where review stands."""
    from netsafe.review import service

    with _store() as (db, settings):
        found = service.list_scans(db, settings, limit)
    for s in found:
        if json_out:
            emit_json(s.as_dict())
        else:
            review = s.review or {}
            typer.echo(
                f"{s.id}\t{s.status}\t{s.started}\t{s.examiner or '-'}\t{s.items} items, "
                f"{s.matched_items} known, {s.graded_items} graded, {review.get('open', '-')} to review"
                f"\t{', '.join(s.evidence)}"
            )


@app.command("list")
def list_command(
    scan_id: int = typer.Argument(..., min=1, help="The scan's id (netsafe review scans)."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many groups."),
    limit: int = typer.Option(1000, "--limit", min=1, max=1000, help="At most this many groups."),
    state: str | None = typer.Option(None, "--state", help="Only groups with items open, graded or ignored."),
    json_out: bool = typer.Option(False, "--json", help="The groups as one JSON array."),
) -> None:
    """The scan's review groups with their items (the queue is built on first use). Matched items are never
    in it."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    with _store() as (db, settings):
        page = service.list_groups(
            db, Actor.cli(), scan_id, settings, offset=offset, limit=limit, state=state
        )
    if json_out:
        emit_json([g.as_dict() for g in page.groups])
        return
    for g in page.groups:
        typer.echo(
            f"{g.group}\t#{g.number}\t{g.kind}\t{len(g.items)} items, {g.files} files\t{g.state}"
            f"\t{g.category or '-'}"
        )
    typer.echo(
        f"{len(page.groups)} of {page.total_groups} groups; items: "
        + ", ".join(f"{n} {s}" for s, n in page.counts.items()),
        err=True,
    )


@app.command("grade")
def grade_command(
    scan_id: int = typer.Argument(..., min=1, help="The scan's id."),
    group_id: int = typer.Argument(..., min=1, help="The group (the 'group' of review list)."),
    category: str = typer.Option(..., "--category", help="A category of the profile (uk-caid: A, B, C, NP)."),
    user: str = USER,
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object."),
) -> None:
    """Grade every item of a group: a vote by --user on each item's hashes, kept in the local graded set."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    with _store() as (db, settings):
        _check_group(db, settings, scan_id, group_id)
        result = service.grade(db, Actor.cli(), settings, user=user, category=category, group_id=group_id)
    _done(result.as_dict(), json_out, f"graded {len(result.items)} items {result.category}")


@app.command("ignore")
def ignore_command(
    scan_id: int = typer.Argument(..., min=1),
    group_id: int = typer.Argument(..., min=1),
    user: str = USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Mark every item of a group as ignore (not pertinent): out of the queue and the counts."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    with _store() as (db, settings):
        _check_group(db, settings, scan_id, group_id)
        result = service.ignore(db, Actor.cli(), settings, user=user, group_id=group_id)
    _done(result.as_dict(), json_out, f"ignored {len(result.items)} items")


@app.command("undo")
def undo_command(
    scan_id: int = typer.Argument(..., min=1),
    user: str = USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Take back --user's last grade or ignore in the scan."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    with _store() as (db, settings):
        result = service.undo_last(db, Actor.cli(), settings, user=user, scan_id=scan_id)
    _done(result.as_dict(), json_out, f"undid {result.action} of {len(result.items)} items")


@app.command("import")
def import_command(
    scan_id: int = typer.Argument(..., min=1),
    grades: Path = typer.Argument(..., help="CSV with a header: sha256 (or md5), category."),
    user: str = USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Grades made in another tool, as votes by --user: all lines or none."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    with _store() as (db, settings):
        data = _read(grades)
        result = service.import_grades(
            db, Actor.cli(), settings, user=user, scan_id=scan_id, data=data, name=grades.name
        )
    _done(result.as_dict(), json_out, f"imported {result.lines} grades of {result.items} items")


@app.command("settle")
def settle_command(
    item_id: int = typer.Argument(..., min=1, help="The item (the 'item' of review list)."),
    category: str = typer.Option(..., "--category"),
    reason: str = typer.Option(..., "--reason", help="Why: recorded with the grade."),
    user: str = USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Settle an item's grade (a dispute, or a change to a trusted grade): needs review:settle."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    with _store() as (db, settings):
        result = service.settle(
            db, Actor.cli(), settings, user=user, item_id=item_id, category=category, reason=reason
        )
    _done(result.as_dict(), json_out, f"settled item {result.item} as {result.category}")


@app.command("disputes")
def disputes_command(user: str = USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Graded items whose graders disagree, for a senior to settle."""
    from netsafe.review import service

    with _store() as (db, settings):
        found = service.disputes(db, settings, user=user)
    for d in found:
        if json_out:
            emit_json(d.as_dict())
        else:
            votes = ", ".join(f"{v['grader']}: {v['category']}" for v in d.votes)
            items = ", ".join(f"scan {i['scan']} item {i['item']}" for i in d.items)
            typer.echo(f"{d.sha256}\t{votes}\t{items}")


def _check_group(db: Database, settings: ReviewSettings, scan_id: int, group_id: int) -> None:
    """The group belongs to the scan named: a wrong pair of numbers grades nothing."""
    from netsafe.audit.service import Actor
    from netsafe.review import service

    service.build_queue(db, Actor.cli(), scan_id, settings)
    if not service.group_in_scan(db, scan_id, group_id):
        raise service.NoSuchGroupError(f"scan {scan_id} has no review group {group_id} (see review list)")


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_GRADES_FILE + 1)
    except OSError as err:
        raise InvalidInput(f"{path.name}: cannot read: {err.strerror}") from None
    if len(data) > MAX_GRADES_FILE:
        raise InvalidInput(f"{path.name}: larger than {MAX_GRADES_FILE >> 20} MiB: split it")
    return data


def _done(result: dict[str, Any], json_out: bool, text: str) -> None:
    if json_out:
        emit_json(result)
    else:
        typer.echo(text, err=True)
