"""The hashes an acquisition tool stored in an E01 image: the evidence's own hash, for the report.

An examiner exhibits the image with the MD5 (and SHA-1) the acquisition computed over the media; netsafe
reports those beside its own SHA-256 of the image files, so a court can tie the report to the exhibit.
"""

from __future__ import annotations

import os
import re
from typing import BinaryIO

import pyewf  # type: ignore[import-not-found]

from netsafe.media.blobs import open_readonly
from netsafe.signals.types import CRYPTO_SIGNALS

_HEX = re.compile(r"^[0-9a-fA-F]+$")


def acquisition_hashes(path: str) -> dict[str, str]:
    """``{"md5": ..., "sha1": ...}`` as stored in the E01 at ``path`` (its first segment); empty when the
    image holds none or cannot be read (the scan reports the image's problems where it walks it)."""
    files: list[BinaryIO] = []
    try:
        segments = sorted(pyewf.glob(path)) if re.search(r"\.[EeLs]x?01$", path) else [path]
        for segment in segments:
            fd, _ = open_readonly(segment)
            files.append(os.fdopen(fd, "rb"))
        handle = pyewf.handle()
        handle.open_file_objects(files, "r")
        try:
            values = handle.get_hash_values() or {}
        finally:
            handle.close()
    except Exception:  # a damaged image: no stored hash to report, the walk says what is wrong
        return {}
    finally:
        for fh in files:
            fh.close()
    out: dict[str, str] = {}
    for name, value in values.items():
        key, text = str(name).lower().replace("-", ""), str(value).strip().lower()
        if key in CRYPTO_SIGNALS and _HEX.match(text):
            out[key] = text
    return out
