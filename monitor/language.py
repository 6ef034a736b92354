"""Which language an article is in: the feed's own tag when it has one, else a guess from the script.

Pure functions, no I/O. The guess is deliberately small and knows only our languages:

- Kazakh (kk): words with letters only Kazakh has (ә ғ қ ң ө ұ ү һ) or Kazakh function words
  ("және", "үшін"); і, which Kazakh shares with Ukrainian, counts for Kazakh unless ї є ґ say otherwise;
- Ukrainian (uk): words with ї є ґ or Ukrainian function words ("що", "від"), and no Kazakh letters;
- Russian (ru): any other Cyrillic;
- English (en): Latin letters *and* English function words ("the", "of", "with" …);
- anything else (German, Kazakh in Latin script, Chinese, a bare list of names): None.

Limits, by design: a Russian headline that spells one Kazakh name in Kazakh ("Жаңаөзен") stays ru
only when Russian function words outnumber the Kazakh words; a Ukrainian text whose only marker is
і reads as Kazakh; a two-word title may be guessed wrong. A declared language always wins.
"""

from __future__ import annotations

import re

# Common wrong or long spellings in feeds: country codes, ISO 639-2 codes, English names.
_ALIASES = {
    "kz": "kk", "kaz": "kk", "kazakh": "kk", "ua": "uk", "ukr": "uk", "ukrainian": "uk",
    "rus": "ru", "russian": "ru", "eng": "en", "english": "en",
}
_PRIMARY = re.compile(r"[a-z]{2,3}")

_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_KAZAKH = set("әғқңөұүһӘҒҚҢӨҰҮҺ")
_KAZAKH_OR_UKRAINIAN = set("іІ")
_UKRAINIAN = set("їєґЇЄҐ")
_RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")  # Ukrainian lacks them (Kazakh has ы, but Kazakh is decided first)
_KAZAKH_WORDS = frozenset("және мен бен пен үшін бойынша деп бұл осы туралы кейін жылы".split())
_UKRAINIAN_WORDS = frozenset("що від це й як їх".split())
# Russian function words: Kazakh text does not use them.
_RUSSIAN_WORDS = frozenset(
    "в и на не что с по о из за для от к как это у при после об со во до его он она они был была были "
    "также который которые ли же но а".split()
)
# English function words that German, French, Spanish or Kazakh in Latin script do not share
# ("in", "on", "a", "die" are left out for that reason).
_ENGLISH_WORDS = frozenset(
    "the of and to is are was were for with at by from this that it its be has have had will after "
    "over into about who their they not but than been says said amid against".split()
)


def language_tag(tag: str | None) -> str | None:
    """A declared language as a lower-case primary subtag: "ru-RU" → "ru"; None if unusable."""
    if not tag:
        return None
    primary = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    return primary if _PRIMARY.fullmatch(primary) else None


def guess_language(text: str) -> str | None:
    """kk, uk, ru or en from the letters and words of `text`; None when it is none of those."""
    words = _WORD.findall(text)
    cyrillic = sum(len(_CYRILLIC.findall(word)) for word in words)
    latin = sum(len(_LATIN.findall(word)) for word in words)
    if not cyrillic and not latin:
        return None
    if cyrillic >= latin:
        return _cyrillic_language([w for w in words if _CYRILLIC.search(w)])
    return _english_or_none([w.lower() for w in words if _LATIN.search(w)])


def _cyrillic_language(words: list[str]) -> str:
    lowered = [word.lower() for word in words]
    kazakh = _count(words, _KAZAKH) + sum(1 for word in lowered if word in _KAZAKH_WORDS)
    ukrainian = _count(words, _UKRAINIAN) + sum(1 for word in lowered if word in _UKRAINIAN_WORDS)
    if ukrainian > kazakh and ukrainian >= _count(words, _RUSSIAN_ONLY):
        return "uk"
    if not ukrainian:
        kazakh += _count(words, _KAZAKH_OR_UKRAINIAN)
    if kazakh > sum(1 for word in lowered if word in _RUSSIAN_WORDS):
        return "kk"
    return "ru"


def _count(words: list[str], letters: set[str]) -> int:
    return sum(1 for word in words if letters.intersection(word))


def _english_or_none(words: list[str]) -> str | None:
    english = sum(1 for word in words if word in _ENGLISH_WORDS)
    # Headlines are terse: one function word in ten is enough; running text has far more.
    return "en" if english and english * 10 >= len(words) else None
