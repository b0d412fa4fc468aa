"""Path parameters shared by the API and the pages.

A row id in a URL is bounded to what the store's 64-bit integer columns hold, so an id of 2**70 is a 422
from every route rather than an overflow inside the database driver (a 500 on SQLite).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
