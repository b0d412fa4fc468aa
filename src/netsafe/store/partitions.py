"""PostgreSQL: ``entries`` is partitioned by set, one partition per hash set (migration 0015).

Why: a new set's import loads its rows into a table of its own that nothing reads yet and that has no
index, then lets ``ATTACH PARTITION`` build the indexes, each by one sort. Inserting 1M rows into the
indexes of a shared table cost the server 21 s of CPU, 4-5 s for each index keyed by a random hash; into a
bare table 2 s, and the six indexes by sort 3 s (session 8, benchmarks/README.md). ``ATTACH PARTITION``
takes only a SHARE UPDATE EXCLUSIVE lock on ``entries``: matching and every other reader and writer go on,
where dropping the shared table's indexes for the load locked them all out (issue 18).

The partition is what ties an entry to its set on PostgreSQL: it is created with the set, in the same
transaction, accepts only that set's id, and is dropped with the set. There is no foreign key from
``entries`` to ``hash_sets`` there: attaching a partition would clone it, locking ``hash_sets`` against
writes (SHARE ROW EXCLUSIVE), and two imports of new sets, each holding its own new row of ``hash_sets``,
would deadlock. Nor from ``votes`` to ``entries``: a partitioned table's unique keys must contain its
partition column. Every deletion of entries deletes their votes first (repositories/entries.py, sets.py),
as it already did for SQLite. SQLite keeps one plain table with both foreign keys.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from netsafe.store.errors import StoreBusyError


def partitioned(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def partition_name(hash_set_id: int) -> str:
    return f"entries_s{int(hash_set_id)}"


def create_bare_sql(hash_set_id: int) -> list[str]:
    """A table shaped like ``entries`` for the set, with no index and not attached yet. Rows copied into it
    cost the server no index insert; :func:`attach_sql` then has the indexes built by sort."""
    name = partition_name(hash_set_id)
    return [
        f"CREATE TABLE {name} (LIKE entries INCLUDING DEFAULTS)",
        f"ALTER TABLE {name} SET (autovacuum_enabled = false)",  # nothing to vacuum before the attach
    ]


def attach_sql(hash_set_id: int) -> list[str]:
    """Make the set's table a partition of ``entries``: PostgreSQL builds the indexes it lacks (the
    unique key's among them, which refuses a repeated key) and checks every row belongs to the set."""
    name = partition_name(hash_set_id)
    return [
        f"ALTER TABLE {name} RESET (autovacuum_enabled)",
        f"ALTER TABLE entries ATTACH PARTITION {name} FOR VALUES IN ({int(hash_set_id)})",
    ]


def create(session: Session, hash_set_id: int, attach: bool = True) -> None:
    """The set's partition, empty; attached, or bare for a bulk import to load and attach."""
    if partitioned(session):
        for sql in create_bare_sql(hash_set_id) + (attach_sql(hash_set_id) if attach else []):
            session.execute(text(sql))


# How long deleting a set waits for the readers of ``entries`` before it gives up (PostgreSQL). While it
# waits, new readers queue behind it: a long export must not stall matching for its whole length.
DROP_LOCK_WAIT_MS = 3000


def drop(session: Session, hash_set_id: int) -> None:
    """Drop the set's partition and its entries with it. PostgreSQL locks ``entries`` (ACCESS EXCLUSIVE)
    until the deletion commits, a moment, which readers wait for; if a reader (an export, an index
    build) holds it longer than :data:`DROP_LOCK_WAIT_MS`, nothing is deleted and StoreBusyError says
    to try again."""
    if not partitioned(session):
        return
    session.execute(text(f"SET LOCAL lock_timeout = {int(DROP_LOCK_WAIT_MS)}"))
    try:
        session.execute(text(f"DROP TABLE IF EXISTS {partition_name(hash_set_id)}"))
    except OperationalError as err:
        if getattr(err.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise StoreBusyError(
            "the hash set's entries are being read (an export or a matcher loading them?): "
            "nothing was deleted; try again in a moment"
        ) from None
    session.execute(text("SET LOCAL lock_timeout = DEFAULT"))


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """For Alembic's comparison of the models with a database: the sets' partitions are not tables of
    the models (their indexes are the parent's, attached)."""
    if type_ == "table" and reflected and name is not None:
        return not (name.startswith("entries_s") and name[len("entries_s") :].isdigit())
    if type_ == "index" and reflected:
        table = getattr(getattr(obj, "table", None), "name", "")
        return include_object(None, table, "table", True, None)
    return True
