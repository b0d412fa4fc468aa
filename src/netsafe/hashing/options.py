"""What to compute for each file, shared by the CLI, the scan pipeline and the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from netsafe.errors import InvalidInput
from netsafe.signals.defaults import DEFAULT_INTERVAL, DEFAULT_MAX_FRAMES, DEFAULT_MAX_PIXELS, PdqMode
from netsafe.signals.types import COMPUTED_SIGNALS, CRYPTO_SIGNALS

ALL_SIGNALS = COMPUTED_SIGNALS


class OptionError(InvalidInput, ValueError):
    """A bad option value; the message is meant for the user."""


def parse_signals(text: str) -> frozenset[str]:
    """``"md5,pdq"`` -> ``{"md5", "pdq"}``, refusing names netsafe does not compute."""  # signal-list: ok
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - set(ALL_SIGNALS))
    if unknown:
        raise OptionError(f"unknown signal(s) {', '.join(unknown)}; choose from {','.join(ALL_SIGNALS)}")
    if not names:
        raise OptionError(f"no signals given; choose from {','.join(ALL_SIGNALS)}")
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class HashOptions:
    signals: frozenset[str] = field(default_factory=lambda: frozenset(ALL_SIGNALS))
    pdq_mode: PdqMode = "fast"
    dihedral: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS
    vpdq_interval: float = DEFAULT_INTERVAL
    vpdq_max_frames: int = DEFAULT_MAX_FRAMES
    # Files up to this size are read once into memory and both hashed and decoded from there.
    in_memory_limit: int = 64 << 20

    @property
    def crypto(self) -> tuple[str, ...]:
        return tuple(name for name in CRYPTO_SIGNALS if name in self.signals)
