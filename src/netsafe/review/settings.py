"""Review's settings: the ``[review]`` table of the config file (``NETSAFE_CONFIG``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from netsafe.signals.types import REGISTRY


class ReviewSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Folders under which a scan may be started from the pages (server-side paths); none: no scans from
    # the pages.
    evidence_roots: list[Path] = Field(default_factory=list)
    # Near-duplicates within this PDQ distance form one review group, graded by one decision.
    group_distance: int = Field(default=31, ge=0, le=REGISTRY["pdq"].max_threshold)
    # The hash set that receives every graded item, so the next scan of any case matches it.
    local_hashset: str = "local-graded"
    # A reminder to take a break after this many minutes of review in a day; 0: none.
    break_reminder_minutes: NonNegativeInt = 0
    # Where the reports of scans started from the pages go (a folder per scan); none: the user data folder.
    # Never under an evidence root: a report must not become evidence of the next scan.
    scan_out_dir: Path | None = None
    # Threads and decoder processes of a scan started from the pages; 0: half the cores, so the service
    # keeps answering while it runs.
    scan_workers: NonNegativeInt = 0
