"""Second opinion on a feed's character encoding, for Russian feeds that do not declare theirs.

feedparser decodes with the HTTP charset, the XML declaration, then chardet's guess. That fails
in ways that matter to us: a server's default "charset=iso-8859-1" on a windows-1251 feed, or a
feed too short for chardet ("Суд" comes out as "Ñóä", or as "—уд" via MacCyrillic). The result is
mojibake no keyword can match. When feedparser had to guess, or settled on a Latin code page,
`better_cyrillic_encoding` re-reads the bytes as windows-1251 and KOI8-R and picks the reading that
looks most like Russian text, or keeps feedparser's when none does.

"Looks like Russian" (`russian_score`) counts letters in well-formed Cyrillic words (lower case,
or one capital first). The wrong Cyrillic code page gives words of capitals and small letters
mixed at random, and Cyrillic read as Latin-1 gives words made only of À–ÿ; both count against.
Pure functions, no I/O.
"""

from __future__ import annotations

import codecs
import re

CANDIDATES = ("cp1251", "koi8_r")
# Code pages feedparser falls back to, and that servers declare by default.
_LATIN = frozenset({"iso8859-1", "cp1252", "iso8859-2", "iso8859-15"})
_CYRILLIC_CODECS = frozenset({"cp1251", "koi8-r", "koi8-u", "mac-cyrillic", "iso8859-5", "cp866"})
_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_HIGH_LATIN_WORD = re.compile(r"[\u00c0-\u00ff]{2,}")
_SAMPLE = 64 * 1024  # enough text to judge; a 10 MB feed need not be decoded three times


def codec_name(encoding: str | None) -> str | None:
    """Python's name for an encoding label ("Windows-1251" → "cp1251"); None if unknown."""
    try:
        return codecs.lookup(encoding).name if encoding else None
    except LookupError:
        return None


def worth_a_second_look(encoding: str | None, guessed: bool) -> bool:
    """Whether a decoding may be Russian mojibake: a guess, or a Latin code page (even a declared one)."""
    name = codec_name(encoding)
    if name is None or name.startswith("utf"):
        return False  # bytes that decode as UTF-8 are UTF-8; nothing to compare an unknown with
    return guessed or name in _LATIN


def better_cyrillic_encoding(body: bytes, used: str | None) -> str | None:
    """windows-1251 or KOI8-R when one reads `body` as clearly better Russian than `used` does."""
    sample = body[:_SAMPLE]
    used_name = codec_name(used)
    current = russian_score(_decode(sample, used_name)) if used_name else 0
    # Latin text with no sign of mojibake is left alone: "à Paris" must not become "а Paris".
    if used_name not in _CYRILLIC_CODECS and current >= 0:
        return None
    scores = {name: russian_score(_decode(sample, name)) for name in CANDIDATES}
    best = max(scores, key=lambda name: scores[name])
    if scores[best] > max(current, 0) and best != used_name:
        return best
    return None


def russian_score(text: str) -> int:
    """Letters in well-formed Cyrillic words, minus letters in words that look like mojibake."""
    score = 0
    for word in _WORD.findall(text):
        cyrillic = _CYRILLIC_WORD.fullmatch(word)
        if cyrillic and (word.islower() or (word[0].isupper() and word[1:].islower())):
            score += len(word)
        elif cyrillic and word.isupper():
            # Abbreviations ("КНБ", "ЕАЭС") are real, but so are a wrong code page's capitals.
            score += 1 if len(word) <= 5 else 0
        elif cyrillic or _CYRILLIC_WORD.search(word) or _HIGH_LATIN_WORD.fullmatch(word):
            score -= len(word)  # mixed case, mixed script, or Cyrillic read as Latin-1
    return score


def _decode(sample: bytes, name: str | None) -> str:
    return sample.decode(name or "utf-8", errors="replace")
