"""VICS JSON (Project VIC / CAID exchange format): read 1.x and 2.0, write 2.0.

Reading is incremental with ijson's C backend (yajl2_c): memory stays flat whatever the file size, and every
problem is reported with its Media record number. A short peek at the start of the file decides the form:

- 1.x: ``{"odata.metadata": ".../DataModels/1.3.xml#Media", "value": [Media...]}``
- 2.0: ``{"@odata.context": ".../DataModels/2.0.xml/UK/$metadata#Media", "value": [Media...]}``
- 2.0 cases: ``{"@odata.context": "...#Cases", "value": [{"CaseID": ..., "Media": [Media...]}]}``
- a bare JSON array of Media objects (seen from home-made exports).

Writing produces 2.0 ``#Media`` with the grading profile's region in the context URL. Field names are read
case-insensitively; booleans may be JSON booleans or strings. Fields netsafe does not model are kept in
``Entry.extra`` and written back unchanged.

The reader is in :mod:`~netsafe.hashsets.formats.vics_read` (with the peek in ``vics_header`` and the field
handlers in ``vics_fields``), the writer in :mod:`~netsafe.hashsets.formats.vics_write`; this module is
their public face, the one the format registry names.
"""

from __future__ import annotations

from netsafe.hashsets.formats.vics_fields import split_tags
from netsafe.hashsets.formats.vics_header import PEEK_LIMIT, VicsHeader, parse_context, profile_for_region
from netsafe.hashsets.formats.vics_read import JsonObject, object_type, read
from netsafe.hashsets.formats.vics_write import CONTEXT_TEMPLATE, context_url, media_object, write

__all__ = [
    "CONTEXT_TEMPLATE",
    "NAME",
    "PEEK_LIMIT",
    "JsonObject",
    "VicsHeader",
    "context_url",
    "media_object",
    "object_type",
    "parse_context",
    "profile_for_region",
    "read",
    "split_tags",
    "write",
]

NAME = "vics"
