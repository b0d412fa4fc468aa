"""Media sources and what their bytes are (content sniffing).

``iter_sources(paths, limits)`` walks folders, files, archives (zip, tar, gzip, bzip2, xz, 7z) and disk
images (raw, split, E01; NTFS, FAT, exFAT, ext) and yields :class:`MediaItem` and :class:`SourceIssue`
records; see docs/media.md.
"""

from typing import TYPE_CHECKING

from netsafe.media.item import FileTimes, IssueCode, MediaItem, SourceIssue
from netsafe.media.limits import Limits
from netsafe.media.location import Location, Step

if TYPE_CHECKING:
    from netsafe.media.sources import iter_bytes, iter_source, iter_sources

# The sources load the archive and disk-image readers (py7zr alone is 0.05 s): imported on first use, so
# sniffing one file's type (`netsafe hash`) does not pay for them.
_LAZY = frozenset({"iter_bytes", "iter_source", "iter_sources"})


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from netsafe.media import sources

        return getattr(sources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
