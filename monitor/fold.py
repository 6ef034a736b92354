"""Fold text so spellings that mean the same word compare equal, keeping offsets into the original.

Case is dropped, ё is е, and Kazakh letters become their Russian neighbours (ә а, ғ г, қ к, ң н,
ө о, ұ у, ү у, һ х, і и): "Ақтау" and "Актау" fold alike. Zero-width characters and soft hyphens
are removed so they never hide a word; that is the only change of length, so the common case
(none present) needs no offset table at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LETTERS = str.maketrans({
    "ё": "е", "Ё": "е",
    "ә": "а", "Ә": "а", "ғ": "г", "Ғ": "г", "қ": "к", "Қ": "к", "ң": "н", "Ң": "н",
    "ө": "о", "Ө": "о", "ұ": "у", "Ұ": "у", "ү": "у", "Ү": "у", "һ": "х", "Һ": "х",
    "і": "и", "І": "и",
    # str.lower() turns İ into two characters; keep folding one character for one.
    "İ": "i",
    # Typographic apostrophes and hyphens read as the plain ones.
    "’": "'", "ʼ": "'", "‘": "'", "‐": "-", "‑": "-",
})
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
# After lower(), only these letters still need folding.
_LOWER_PAIRS = tuple((chr(c), plain) for c, plain in _LETTERS.items() if chr(c).islower())


def fold(text: str) -> str:
    """The folded form of `text` (no offsets): for terms and dictionary forms."""
    return _INVISIBLE.sub("", text.translate(_LETTERS).lower())


@dataclass(frozen=True)
class Folded:
    """Folded text plus the way back: `original_span(start, end)` in the unfolded string."""

    text: str
    _offsets: tuple[int, ...] | None = None  # folded index → original index, when lengths differ

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if self._offsets is None:
            return start, end
        last = self._offsets[end - 1] + 1 if end > start else self._offsets[start]
        return self._offsets[start], last


def fold_with_offsets(text: str) -> Folded:
    folded = text.lower()
    if len(folded) != len(text):  # lower() expanded a character (İ): map one by one
        return _slow(text)
    for letter, plain in _LOWER_PAIRS:
        if letter in folded:  # a C scan; replace() beats translate() on a few rare letters
            folded = folded.replace(letter, plain)
    if not _INVISIBLE.search(folded):
        return Folded(folded)
    offsets = tuple(i for i, ch in enumerate(folded) if not _INVISIBLE.match(ch))
    return Folded("".join(folded[i] for i in offsets), offsets + (len(text),))


def _slow(text: str) -> Folded:
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if _INVISIBLE.match(char):
            continue
        for out in char.translate(_LETTERS).lower():
            chars.append(out)
            offsets.append(index)
    return Folded("".join(chars), tuple(offsets) + (len(text),))
