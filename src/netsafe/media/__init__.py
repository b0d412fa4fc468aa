"""Media sources and what their bytes are (content sniffing).

``iter_sources(paths, limits)`` walks folders, files, archives (zip, tar, gzip, bzip2, xz, 7z) and disk
images (raw, split, E01; NTFS, FAT, exFAT, ext) and yields :class:`MediaItem` and :class:`SourceIssue`
records; see docs/media.md.
"""

from netsafe.media.item import FileTimes, IssueCode, MediaItem, SourceIssue
from netsafe.media.limits import Limits
from netsafe.media.location import Location, Step
from netsafe.media.sources import iter_bytes, iter_source, iter_sources

__all__ = [
    "FileTimes",
    "IssueCode",
    "Limits",
    "Location",
    "MediaItem",
    "SourceIssue",
    "Step",
    "iter_bytes",
    "iter_source",
    "iter_sources",
]
