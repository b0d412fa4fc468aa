"""A hash function that kills its worker process on one file, as a decoder segfault would."""

from __future__ import annotations

import os

from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord


def crash_on_poison(path: str, options: HashOptions) -> FileRecord:
    if os.path.basename(path).startswith("poison"):
        os._exit(139)
    return hash_file(path, options)
