"""A decode function that kills its worker process on one job, as a decoder segfault would."""

from __future__ import annotations

import os

from netsafe.triage.work import Decoded, DecodeJob, decode


def crash_on_poison(job: DecodeJob) -> Decoded:
    if job.name.startswith("poison"):
        os._exit(139)
    return decode(job)
