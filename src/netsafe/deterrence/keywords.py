"""Keyword matching: every entry's skeleton in one Aho-Corasick automaton, one pass over a query's.

A whole-word entry is searched as `` skeleton `` (spaces at both ends, as :func:`textnorm.normalise` puts
round every word), so it matches only whole words; an entry marked ``inside`` is searched without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from netsafe.deterrence.textnorm import normalise
from netsafe.errors import InvalidInput

WORD = "word"
INSIDE = "inside"


class KeywordError(InvalidInput, ValueError):
    pass


def pattern(term: str, match: str = WORD) -> str:
    """What the automaton searches for ``term``; ``KeywordError`` when nothing of it is left to match."""
    skeleton = normalise(term)
    if skeleton == " ":
        raise KeywordError("the term has no letters or digits")
    return skeleton if match == WORD else skeleton.strip()


@dataclass(frozen=True, slots=True)
class KeywordHit:
    entry_id: int
    list_id: int


class KeywordMatcher:
    """Built once per version of the lists; ``find`` is safe to call from many threads."""

    def __init__(self, entries: Iterable[tuple[int, int, str]]) -> None:
        """``entries``: (entry id, list id, pattern) with the pattern from :func:`pattern`."""
        automaton = ahocorasick.Automaton()
        found: dict[str, KeywordHit] = {}
        for entry_id, list_id, pat in entries:
            known = found.get(pat)
            if known is None or entry_id < known.entry_id:  # the oldest entry answers for a repeated term
                found[pat] = KeywordHit(entry_id, list_id)
        for pat, hit in found.items():
            automaton.add_word(pat, hit)
        self.size = len(found)
        self._automaton = automaton
        if found:
            automaton.make_automaton()

    def find(self, query: str) -> KeywordHit | None:
        """The entry that matched (the earliest in the query, then the oldest), or None."""
        if not self.size:
            return None
        best: tuple[int, int, KeywordHit] | None = None
        for end, hit in self._automaton.iter(normalise(query)):
            key = (end, hit.entry_id, hit)
            if best is None or key[:2] < best[:2]:
                best = key
        return best[2] if best else None
