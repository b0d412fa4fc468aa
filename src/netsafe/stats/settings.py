"""Statistics' settings: the ``[stats]`` table of the config file (``NETSAFE_CONFIG``).

The published view follows the ONS "10-5 rule" by default; an operator whose data protection officer sets
other thresholds changes them here, and every output names the thresholds it used.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PositiveInt


class StatsSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Counts under this are suppressed in published outputs (0: none suppressed).
    suppress_below: int = Field(default=10, ge=0)
    # Shown counts are rounded to the nearest multiple of this (1: not rounded).
    round_to: PositiveInt = 5
