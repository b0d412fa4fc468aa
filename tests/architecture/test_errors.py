"""One error hierarchy: every error a person can see has a kind, and each kind has one exit code and one
HTTP status whichever command or route raised it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest

import netsafe
from netsafe import errors
from netsafe.cli.errors import EXIT_FAILURES, EXIT_USAGE, exit_code
from netsafe.services.hashsets import ImportFailedError
from netsafe.services.matcher import UnknownHashSetError
from netsafe.store.db import StoreError
from netsafe.store.repositories import AlreadyExistsError, NotFoundError

# Exceptions that never reach a person: each is caught inside the package that raises it.
INTERNAL = {
    "StoreNeededError",  # the matcher asks its caller to retry with the store
    "IndexFormatError",  # an index on disk is rebuilt from the store
    "LimitError",  # a media limit becomes a SourceIssue in the report
    "WalkStalledError",  # a stuck disk walk becomes a corrupt-filesystem SourceIssue
    "WalkCrashedError",  # so does a walker that dies or breaks the protocol
    "_TooLargeError",
    "BodyTooLargeError",  # becomes the 413 answer
    "LoginRequiredError",  # becomes a redirect to /login
    "ApiError",  # the web layer's own answer, already with its status
    "PostgresUnavailableError",  # tests only: skips PostgreSQL tests
    "PoolCrashedError",
    "WorkerCrashedError",
    "StagedDuplicateError",  # the import reports the stage's repeated keys, then merges again
}


def _netsafe_exceptions() -> Iterator[type[BaseException]]:
    for info in pkgutil.walk_packages(netsafe.__path__, "netsafe."):
        if ".migrations" in info.name or info.name.endswith(("pytest_fixtures", "__main__")):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == info.name:
                yield obj


def test_every_error_a_person_can_see_has_a_kind() -> None:
    found = list(_netsafe_exceptions())
    assert len(found) > 20
    orphans = sorted(
        f"{e.__module__}.{e.__name__}"
        for e in found
        if not issubclass(e, errors.NetsafeError) and e.__name__ not in INTERNAL
    )
    assert orphans == []


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidInput("x"), EXIT_USAGE),
        (errors.NotFound("x"), EXIT_USAGE),
        (NotFoundError("no hash set named 'x'"), EXIT_USAGE),  # a StoreError, but not found first
        (UnknownHashSetError("no hash set named 'x'"), EXIT_USAGE),
        (AlreadyExistsError("x exists"), EXIT_FAILURES),
        (StoreError("database error"), EXIT_FAILURES),
        (errors.Rejected("3 invalid records"), EXIT_FAILURES),
    ],
)
def test_exit_codes_follow_the_kind(error: errors.NetsafeError, code: int) -> None:
    assert exit_code(error) == code


def test_an_import_with_invalid_records_exits_1_not_2() -> None:
    assert issubclass(ImportFailedError, errors.Rejected)
