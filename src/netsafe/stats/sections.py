"""The sections of the statistics, by name, in the order they are shown.

Apart from the service, which needs the store, so ``netsafe stats --help`` can name them without it.
"""

from __future__ import annotations

SECTIONS = ("hotline", "triage", "cases", "deterrence", "offences")
