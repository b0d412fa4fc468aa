"""An import's reading in a child process, so that on a large file parsing and staging overlap.

Reading a hash list (parse, check, convert each record) and staging its rows (the database's bulk path,
and the merge into the set as it goes) each take about half of a 1M-entry import's CPU; in one process
their times add up. Here a child process reads the file and sends each entry as its staging row
(:func:`~netsafe.services.import_read.staging_rows`; plain values for a job naming no set) and each issue,
in file order, to the parent, which stages them as it would its own: on two cores the two overlap.

The child is a fresh interpreter running :func:`main` (no fork of a process that may hold database
connections or threads), searching the parent's import path; it gets its job on standard input and writes
length-prefixed frames (pickled, or marshalled when they hold only plain values) to standard output;
nothing but this module's own frames travels on that pipe, from a child this module started. The pipe is
also the leash: when the parent dies, the child's next write fails and it ends, and the parent kills the
child whenever it stops reading early. An exception in the child comes back as the same exception (its
class and one-line message), so the caller reports it as it would have in one process, and the caller's
transaction is never committed after such a failure.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from netsafe.errors import NetsafeError
from netsafe.gcpause import collected

# Items per frame: enough to amortise a pickle and a pipe write, few enough to keep both sides busy.
FRAME_ITEMS = 2000
_HEADER = struct.Struct("!Q")
# A frame's first byte: how the rest was made.
_PICKLED, _MARSHALLED = b"P", b"M"
_CHILD = (
    "import os, sys; sys.path[:] = sys.argv[1].split(os.pathsep); "
    "from netsafe.services.import_feed import main; main()"
)


class FeedError(NetsafeError):
    """The reading process ended without saying why (killed, out of memory); nothing was stored."""


@dataclass(frozen=True, slots=True)
class Job:
    """What the child reads: the same arguments the import's own reader would get."""

    fmt: str
    path: str
    profile: str
    columns: dict[str, str] | None
    category_code: str | None
    progress: bool
    # The set the rows are for and the store's kind: the child then sends staging rows
    # (:func:`~netsafe.hashsets.stage_rows.stage_values`), not plain values, taking that work off the
    # importing process, which stages and merges them.
    set_id: int | None = None
    sqlite: bool = True


def _send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    _write(out, _PICKLED, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _send_items(out: IO[bytes], items: list[Any]) -> None:
    """An ``("items", items)`` frame: marshalled when it holds only plain values (rows, mostly), which
    takes two thirds of the time a pickle does and unpacks as fast; pickled otherwise (issues, the
    datetimes of a PostgreSQL row), as marshal refuses those. Both ends are this interpreter."""
    try:
        data = marshal.dumps(items)
    except ValueError:
        _send(out, ("items", items))
        return
    _write(out, _MARSHALLED, data)


def _write(out: IO[bytes], kind: bytes, data: bytes) -> None:
    out.write(_HEADER.pack(len(kind) + len(data)))
    out.write(kind)
    out.write(data)


def _message(body: bytes) -> tuple[Any, ...]:
    if body[:1] == _MARSHALLED:
        return ("items", marshal.loads(memoryview(body)[1:]))
    return pickle.loads(memoryview(body)[1:])  # type: ignore[no-any-return]


def _portable(err: BaseException) -> BaseException:
    """``err`` if it survives a pickle round trip as itself, else a NetsafeError with its one-line text."""
    try:
        back = pickle.loads(pickle.dumps(err))
        if type(back) is type(err) and str(back) == str(err):
            return err
    except Exception:
        pass
    return NetsafeError(str(err) or type(err).__name__)


def run_child(job: Job, out: IO[bytes]) -> None:
    """Read ``job``'s file and write its frames to ``out``: ``("items", [row | ImportIssue, ...])``,
    ``("progress", bytes_read)``, then ``("end",)`` or ``("error", exception)``."""
    from netsafe.services import import_read as imp

    pending: list[Any] = []

    def progress(done: int) -> None:
        flush()
        _send(out, ("progress", done))

    def flush() -> None:
        if pending:
            _send_items(out, pending)
            pending.clear()

    try:
        report = progress if job.progress else None
        if job.set_id is None:
            rows = imp.entry_rows(
                imp.read_items(job.fmt, job.path, job.profile, report, job.columns, job.category_code)
            )
        else:
            rows = imp.read_rows(
                job.fmt, job.path, job.profile, report, job.columns, job.category_code, job.set_id, job.sqlite
            )
        for item in collected(rows):
            pending.append(item)
            if len(pending) >= FRAME_ITEMS:
                flush()
        flush()
        _send(out, ("end",))
    except BrokenPipeError:
        raise
    except BaseException as err:
        _send(out, ("error", _portable(err)))
    out.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    if len(data) != size:
        return None
    return data


def feed(job: Job, progress: Callable[[int], None] | None) -> Iterator[Any]:
    """The entries (as :func:`~netsafe.store.bulk.entry_values`) and issues of ``job``'s file, read in a
    child process; raises what the child raised."""
    # The child imports this very netsafe (a checkout's, in tests and benchmarks) by searching the path this
    # process searched, in its order.
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, os.pathsep.join(p for p in sys.path if p)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=1 << 20,
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(pickle.dumps(job))
        child.stdin.close()
        stream = child.stdout
        while True:
            header = _read_exactly(stream, _HEADER.size)
            body = None if header is None else _read_exactly(stream, _HEADER.unpack(header)[0])
            if body is None:
                code = child.wait()
                raise FeedError(
                    f"the process reading the hash list ended unexpectedly (exit code {code}); "
                    "nothing was imported: run the import again"
                )
            message = _message(body)
            kind = message[0]
            if kind == "items":
                yield from message[1]
            elif kind == "progress":
                if progress is not None:
                    progress(message[1])
            elif kind == "end":
                return
            else:
                raise message[1] from None
    finally:
        # Whether the import ended, failed or was interrupted, the child does not outlive this read.
        with contextlib.suppress(OSError):
            child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def main() -> None:
    job = pickle.load(sys.stdin.buffer)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=1 << 20)
    # Anything else that prints must not corrupt the frames.
    sys.stdout = sys.stderr
    try:
        run_child(job, out)
    except BrokenPipeError:
        # The parent is gone: stop quietly (its transaction, if any, was rolled back with it).
        os._exit(1)
