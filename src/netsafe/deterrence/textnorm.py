"""One rule for keyword text: what a list entry and a typed search are both turned into before matching.

The result is a skeleton, not readable text: case-folded, accents dropped, look-alike letters of other
scripts mapped to their Latin twin, leetspeak digits and signs read as the letters they stand for, letters
that leetspeak confuses (l, i, 1, |, !) merged, and other signs made separators, with a run of single
letters joined ("p.t.h.c", "p-t-h-c" and "p t h c" are "pthc"; "forbidden-fruit" is two words). Words are
separated by one space, with a space at each end, so a whole-word entry is found as " word " and can
never match inside a longer word.
"""

from __future__ import annotations

import re
import unicodedata

# Look-alikes of Latin letters in Cyrillic, Greek and other scripts (after case-folding). NFKC already
# maps full-width and mathematical letters; these are the ones Unicode treats as separate letters.
CONFUSABLES = {
    "а": "a", "б": "b", "в": "b", "г": "r", "д": "d", "е": "e", "ё": "e", "з": "e", "и": "u", "к": "k",
    "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ц": "u",
    "ш": "w", "щ": "w", "ь": "b", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q",
    "ԝ": "w", "ӏ": "l", "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "ι": "i",
    "κ": "k", "μ": "u", "ν": "v", "ο": "o", "π": "n", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "p", "ı": "i", "ŀ": "l", "ħ": "h",
    "æ": "ae", "œ": "oe", "ß": "ss",
}  # fmt: skip

# Leetspeak: digits and signs written for letters. l, i and the signs for them are one class ("i"),
# since "1" stands for either.
LEET = {
    "0": "o", "1": "i", "2": "z", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "€": "e", "£": "i", "+": "t", "!": "i", "|": "i", "l": "i",
}  # fmt: skip

# A look-alike maps to a letter that leetspeak maps again ("ł" to "l" to "i"): both steps in one table.
_LEET = str.maketrans(LEET)
_MAP: dict[str, str] = {k: v.translate(_LEET) for k, v in CONFUSABLES.items()} | LEET
_TABLE = str.maketrans(_MAP)
_SEPARATORS = re.compile(r"[\W_]+")
_PUNCTUATION = "!?.,;:'\"()[]{}<>"


def normalise(text: str) -> str:
    """The skeleton of ``text``: `` word word `` (a space at each end), or a single space for none."""
    # NFKC first: full-width, ligatures and mathematical letters become their plain forms.
    folded = unicodedata.normalize("NFKC", text).casefold()
    # Accents: decompose and drop the combining marks; zero-width and other format characters go too.
    stripped = "".join(
        ch
        for ch in unicodedata.normalize("NFKD", folded)
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )
    words: list[str] = []
    run: list[str] = []  # single letters in a row ("p t h c"), joined into one word
    for raw in stripped.split():
        # "!" ends a sentence as often as it stands for "i": only inside a word is it a letter.
        mapped = raw.strip(_PUNCTUATION).translate(_TABLE)
        # Any other sign separates ("forbidden-fruit" is two words); single letters in a row join up.
        for word in _SEPARATORS.split(mapped):
            if not word:
                continue
            if len(word) == 1:
                run.append(word)
                continue
            if run:
                words.append("".join(run))
                run = []
            words.append(word)
    if run:
        words.append("".join(run))
    return " " + " ".join(words) + " " if words else " "
