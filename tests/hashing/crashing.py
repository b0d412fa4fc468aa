"""A hash function that kills its worker process on one file, as a decoder segfault would."""

from __future__ import annotations

import os
import time

from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord


def crash_on_poison(path: str, options: HashOptions) -> FileRecord:
    if os.path.basename(path).startswith("poison"):
        os._exit(139)
    return hash_file(path, options)


def hang_on_poison(name: str) -> str:
    """A decoder that never returns on one file: in C it would not even see a Python signal handler."""
    if name.startswith("poison"):
        while True:
            time.sleep(60)
    return name.upper()
