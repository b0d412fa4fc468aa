"""Alembic environment: migrations run on the connection netsafe.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from netsafe.store.base import Base
from netsafe.store.partitions import include_object
from netsafe.store.tables import import_all_tables

# Every package that adds tables is above the store: its models are imported by name here, so the store
# itself never imports them (see store/tables.py).
import_all_tables()
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,  # PostgreSQL's partitions of entries are not the models' tables
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through netsafe.store.migrate (it supplies the connection)")
run(connection)
