"""One hashed video frame: the value vPDQ produces and hash lists carry.

Apart from the decoder (signals.vpdq) so hash lists and records can hold frames without loading PyAV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    frame: int
    timestamp: float
    quality: int
    pdq: str

    def as_dict(self) -> dict[str, Any]:
        return {"frame": self.frame, "timestamp": self.timestamp, "quality": self.quality, "pdq": self.pdq}

    def as_line(self) -> str:
        """The reference tool's text line for this frame."""
        return f"{self.frame},{self.quality},{self.pdq},{self.timestamp:.3f}"
