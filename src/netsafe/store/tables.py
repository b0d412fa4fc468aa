"""Where the store's tables are defined: the modules that add tables to ``Base.metadata``.

The packages above the store (accounts, audit, triage, hotline, review, cases, deterrence, remove) own
their tables; the migrations and the schema test need all of them, so they are imported here by name at run
time rather than by an import statement, which would make the store depend on the layers above it.
"""

from __future__ import annotations

import importlib

TABLE_MODULES = (
    "netsafe.store.models",
    "netsafe.accounts.models",
    "netsafe.audit.models",
    "netsafe.triage.models",
    "netsafe.cases.models",
    "netsafe.hotline.models",
    "netsafe.stats.models",
    "netsafe.deterrence.models",
    "netsafe.review.models",
    "netsafe.remove.models",
)


def import_all_tables() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)
