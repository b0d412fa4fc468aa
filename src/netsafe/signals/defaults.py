"""Limits and defaults of the signals, apart from their decoders.

Kept free of numpy, Pillow and PyAV so option parsing and ``--help`` can read them without loading a decoder.
"""

from __future__ import annotations

from typing import Literal

PdqMode = Literal["fast", "exact"]

DEFAULT_MAX_PIXELS = 200_000_000
# Hashes below this quality are kept but flagged: Meta's guidance is to discard them for matching.
QUALITY_THRESHOLD = 50
DEFAULT_INTERVAL = 1.0
# Past this many hashed frames a video is cut short (a 10-hour stream at 1 fps is 36,000 frames).
DEFAULT_MAX_FRAMES = 100_000


def one_line(err: BaseException) -> str:
    """An exception's message squeezed onto one line (for error fields and log lines)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."
