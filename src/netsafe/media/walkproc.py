"""Walker processes for disk images: TSK lists a file system where it can be stopped (``tskwalk``).

The parent keeps the image and serves every read the walker asks for, and a watchdog on progress: a
walker silent for ``stall`` seconds (it says it is alive four times a second while Python runs, so only
a call stuck in C is silent) is killed. A walker is started once per thread and reused for every image
that thread walks (starting one costs ~30 ms, more than listing a small image); it ends with its parent
(``PR_SET_PDEATHSIG``), which on Linux means with the thread that started it, hence one pool per thread.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from netsafe.media.tskwalk import HEADER, IDLE_SECONDS

SCRIPT = str(Path(__file__).with_name("tskwalk.py"))
KEEP_IDLE = 4  # walkers kept per thread between images (a disk in a disk needs a second one at once)


class WalkStalledError(Exception):
    """The walker went silent past the stall limit (TSK stuck in C on a damaged file system)."""


class WalkCrashedError(Exception):
    """The walker died or said something that is not the protocol."""


class Walker:
    def __init__(self) -> None:
        # -P: the script's folder is not put first on sys.path (nothing there may shadow a module).
        self.proc = subprocess.Popen(
            [sys.executable, "-P", SCRIPT, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.inp, self.out = self.proc.stdin, self.proc.stdout.fileno()
        self.owner = os.getpid()
        self.idle_since = time.monotonic()
        _every.add(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def walk(
        self, job: dict[str, Any], read: Callable[[int, int], bytes], stall: float
    ) -> Iterator[list[Any]]:
        """The messages of one job, its reads served; raises WalkStalledError or WalkCrashedError."""
        self._frame(json.dumps(job).encode())
        buf = b""
        while True:
            ready, _, _ = select.select([self.out], [], [], stall)
            if not ready:
                raise WalkStalledError
            chunk = os.read(self.out, 1 << 16)
            if not chunk:
                raise WalkCrashedError
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                try:
                    batch = json.loads(line)
                    kinds = [msg[0] for msg in batch]
                except (ValueError, TypeError, IndexError, KeyError) as err:
                    raise WalkCrashedError from err
                for kind, msg in zip(kinds, batch, strict=True):
                    if kind == "r":
                        try:
                            offset, size = int(msg[1]), int(msg[2])
                        except (ValueError, TypeError, IndexError) as err:
                            raise WalkCrashedError from err
                        self._answer(read, offset, size)
                    elif kind == "e":
                        return
                    elif kind != "b":
                        yield msg

    def _answer(self, read: Callable[[int, int], bytes], offset: int, size: int) -> None:
        try:
            data = read(offset, size)
        except Exception:  # the evidence itself could not be read here: TSK reports a read error
            self.inp.write(HEADER.pack(-1))
            self.inp.flush()
            return
        self._frame(data)

    def _frame(self, payload: bytes) -> None:
        try:
            self.inp.write(HEADER.pack(len(payload)) + payload)
            self.inp.flush()
        except OSError as err:  # BrokenPipeError: the walker is gone
            raise WalkCrashedError from err

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def stop(self, grace: float = 1.0) -> None:
        """End an idle walker: the end of its input is its signal to exit; killed if it does not."""
        self._close_pipes()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


_every: weakref.WeakSet[Walker] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """At exit, idle walkers (of every thread) end and are waited for, rather than noticing on their own."""
    for walker in list(_every):
        if walker.owner == os.getpid():  # not a forked copy's inheritance
            walker.stop()


class _Idle(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.walkers: list[Walker] = []


_idle = _Idle()


def lease() -> Walker:
    """An idle walker of this thread, or a new one."""
    if _idle.pid != os.getpid():  # a forked copy of this process: those walkers are not its children
        _idle.pid, _idle.walkers = os.getpid(), []
    while _idle.walkers:
        walker = _idle.walkers.pop()
        # One idle for most of IDLE_SECONDS could exit just as its next job is sent: not worth the race.
        if walker.alive() and time.monotonic() - walker.idle_since < IDLE_SECONDS / 2:
            return walker
        walker.stop()
    return Walker()


def release(walker: Walker) -> None:
    """A walker that finished its job cleanly, back to this thread's idle ones."""
    if len(_idle.walkers) < KEEP_IDLE and walker.alive():
        walker.idle_since = time.monotonic()
        _idle.walkers.append(walker)
    else:
        walker.kill()
