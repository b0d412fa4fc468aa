"""Hash sets: the model of a graded hash list, grading profiles, consensus and the file formats."""

from netsafe.hashsets.model import (
    ConsensusResult,
    Entry,
    EntryError,
    HashSetError,
    HashSetInfo,
    ImportIssue,
    Vote,
    consensus,
    normalise_signal,
)
from netsafe.hashsets.profiles import (
    GradingProfile,
    ProfileError,
    available_profiles,
    load_profile,
    map_category,
)

__all__ = [
    "ConsensusResult",
    "Entry",
    "EntryError",
    "GradingProfile",
    "HashSetError",
    "HashSetInfo",
    "ImportIssue",
    "ProfileError",
    "Vote",
    "available_profiles",
    "consensus",
    "load_profile",
    "map_category",
    "normalise_signal",
]
