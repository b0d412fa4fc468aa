"""The CSV columns netsafe knows: the header spellings recognised for each field, what the writer writes
under which header, and the mapping of a header row to fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netsafe.hashsets.formats.base import FormatError, fold_name

# Field -> header spellings recognised without configuration (compared after fold_name()).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "md5": ("md5", "md5hash", "hashmd5", "md5sum", "md5checksum"),
    "sha1": ("sha1", "sha1hash", "hashsha1", "sha1sum"),
    "sha256": ("sha256", "sha256hash", "hashsha256", "sha256sum"),
    "pdq": ("pdq", "pdqhash", "hashpdq"),
    "photodna": ("photodna", "pdna", "photodnahash"),
    "source_id": ("mediaid", "sourceid", "id", "entryid", "hashid"),
    "category": ("category", "cat", "grade", "grading", "categorycode"),
    "series": ("series", "seriesname"),
    "victim_identified": ("victimidentified",),
    "offender_identified": ("offenderidentified",),
    "distributed": ("distributed", "isdistributed"),
    "tags": ("tags", "tag"),
    "comments": ("comments", "comment", "notes", "note"),
    "media_size": ("mediasize", "size", "filesize", "bytes", "sizebytes"),
    "mime_type": ("mimetype", "mime", "contenttype"),
    "first_seen": ("firstseen",),
    "last_seen": ("lastseen",),
    "file_name": ("filename", "name", "file", "path", "filepath"),
    "alternative_hashes": ("alternativehashes",),
    "media_files": ("mediafiles",),
    "vpdq": ("vpdq",),
    "extra": ("extra",),
}
FIELDS: tuple[str, ...] = tuple(SYNONYMS)
# What netsafe writes, in this order, under these headers (unless renamed with ``columns``).
WRITE_FIELDS: tuple[str, ...] = (
    "source_id",
    "category",
    "md5",
    "sha1",
    "sha256",
    "pdq",
    "photodna",
    "media_size",
    "mime_type",
    "series",
    "victim_identified",
    "offender_identified",
    "distributed",
    "tags",
    "comments",
    "first_seen",
    "last_seen",
    "alternative_hashes",
    "media_files",
    "vpdq",
    "extra",
)
DEFAULT_HEADERS: dict[str, str] = {f: ("media_id" if f == "source_id" else f) for f in FIELDS}


def map_columns(header: Sequence[str], columns: Mapping[str, str] | None = None) -> dict[int, str]:
    """Column index -> field for a header row; explicit ``columns`` (field -> header) win over synonyms."""
    explicit = dict(columns or {})
    unknown = [f for f in explicit if f not in FIELDS]
    if unknown:
        raise FormatError(f"unknown CSV field(s) {unknown}: known fields are {', '.join(FIELDS)}")
    wanted = {fold_name(col): field for field, col in explicit.items()}
    result: dict[int, str] = {}
    taken: set[str] = set()
    for index, title in enumerate(header):
        field = wanted.get(fold_name(title))
        if field is not None and field not in taken:
            result[index] = field
            taken.add(field)
    for index, title in enumerate(header):
        if index in result:
            continue
        folded = fold_name(title)
        for field, names in SYNONYMS.items():
            if field not in taken and field not in explicit and folded in names:
                result[index] = field
                taken.add(field)
                break
    return result
