"""Spellings of a name across scripts: Aktau = Актау = Ақтау, Zhanaozen = Жанаозен = Жаңаөзен.

`spellings(word)` returns folded spelling variants, the folded word itself included. Pure string
rules, no dictionaries: deciding that a variant is some other common word is `monitor.forms`' job.

Which words get variants: every Latin word (an English term gets Cyrillic look-alikes here, and
`FormExpander` drops them for English dictionary words), and Cyrillic words written Capitalised
(names). A lowercase Cyrillic word (забастовка, ереуіл) is a common noun: no Latin spelling.

How: each letter or digraph maps to a few alternatives with a penalty (0 the usual spelling,
1 a common variant, 2 a rare one); a variant's penalty is the sum. Each direction keeps the
cheapest variants, ties broken alphabetically so the result never depends on set order:

- Cyrillic spellings: at most 4, penalty ≤ 2 (Mangystau → мангыстау, мангистау); for a Cyrillic
  word, its sisters through a Latin spelling, penalty ≤ 1 in all (Мангистау → Мангыстау,
  Қазақстан → Казахстан). Capped hard because `FormExpander` declines each of them.
- Latin spellings: at most 8, penalty ≤ 3, of the word and of its Cyrillic spellings (Казахстан →
  kazakhstan … kazakstan … qazaqstan; Aktau → aqtau via Актау).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from monitor.fold import fold

_CYRILLIC_CAP, _CYRILLIC_MAX_PENALTY = 4, 2
_LATIN_CAP, _LATIN_MAX_PENALTY = 8, 3
_ROUND_TRIP_MAX_PENALTY = 1

_LATIN_WORD = re.compile(r"[a-zäöüūığşçñé]+")
_CYRILLIC_WORD = re.compile(r"[а-яёәғқңөұүһі]+")
_LATIN_VOWELS = frozenset("aeiouyäöüūıé")

# Invisible characters that split a word; monitor.fold drops the same ones.
_INVISIBLE = str.maketrans(dict.fromkeys("\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))


def visible(word: str) -> str:
    """The word without surrounding spaces and the soft hyphens and zero-width characters in it."""
    return word.translate(_INVISIBLE).strip()


_Options = tuple[tuple[str, int], ...]  # (spelling, penalty)

_TO_LATIN: dict[str, _Options] = {
    "а": (("a", 0),), "ә": (("a", 0),), "б": (("b", 0),), "в": (("v", 0),), "г": (("g", 0),),
    "ғ": (("g", 0), ("gh", 2)), "д": (("d", 0),), "е": (("e", 0),), "ё": (("yo", 0), ("e", 1)),
    "ж": (("zh", 0), ("j", 1)), "з": (("z", 0),), "и": (("i", 0), ("y", 1)), "й": (("y", 0), ("i", 1)),
    "к": (("k", 0), ("q", 1)), "қ": (("k", 0), ("q", 0)), "л": (("l", 0),), "м": (("m", 0),),
    "н": (("n", 0),), "ң": (("n", 0), ("ng", 2)), "о": (("o", 0),), "ө": (("o", 0),),
    "п": (("p", 0),), "р": (("r", 0),), "с": (("s", 0),), "т": (("t", 0),), "у": (("u", 0),),
    "ұ": (("u", 0),), "ү": (("u", 0),), "ф": (("f", 0),), "х": (("kh", 0), ("h", 1), ("k", 1), ("q", 2)),
    "һ": (("h", 0),), "ц": (("ts", 0),), "ч": (("ch", 0),), "ш": (("sh", 0),),
    "щ": (("shch", 0), ("sch", 1)), "ъ": (("", 0),), "ы": (("y", 0), ("i", 1)), "і": (("i", 0),),
    "ь": (("", 0),), "э": (("e", 0),), "ю": (("yu", 0),), "я": (("ya", 0),),
}
# "ye" for е at the start of a word or after a vowel: Yerlan, Tokayev.
_E_IOTATED: _Options = (("e", 0), ("ye", 1))

# Latin digraphs, longest first; single letters below. y, e and i depend on their neighbours.
_FROM_LATIN_DIGRAPHS: dict[str, _Options] = {
    "shch": (("щ", 0),), "zh": (("ж", 0),), "kh": (("х", 0), ("к", 1)), "sh": (("ш", 0),),
    "ch": (("ч", 0),), "ts": (("ц", 0), ("тс", 1)), "gh": (("г", 0),), "ya": (("я", 0),),
    "yu": (("ю", 0),), "yo": (("е", 0),), "ye": (("е", 0),),
}
_FROM_LATIN: dict[str, _Options] = {
    "a": (("а", 0),), "b": (("б", 0),), "c": (("к", 0), ("ц", 1)), "d": (("д", 0),), "f": (("ф", 0),),
    "g": (("г", 0),), "h": (("х", 0),), "j": (("ж", 0), ("дж", 1)), "k": (("к", 0),), "l": (("л", 0),),
    "m": (("м", 0),), "n": (("н", 0),), "o": (("о", 0),), "p": (("п", 0),), "r": (("р", 0),),
    "s": (("с", 0),), "t": (("т", 0),), "u": (("у", 0),), "v": (("в", 0),), "w": (("у", 0), ("в", 1)),
    "x": (("кс", 0),), "z": (("з", 0),),
    # Kazakh Latin alphabets (2017-2021): already the folded sounds.
    "ä": (("а", 0),), "ö": (("о", 0),), "ü": (("у", 0),), "ū": (("у", 0),), "ı": (("ы", 0),),
    "ğ": (("г", 0),), "ş": (("ш", 0),), "ç": (("ч", 0),), "ñ": (("н", 0),), "é": (("е", 0),),
}


def spellings(word: str) -> frozenset[str]:
    """Folded spellings of `word` in Latin and Cyrillic (with itself); see the module docstring."""
    word = visible(word)
    folded = fold(word)
    if _LATIN_WORD.fullmatch(folded):
        cyrillic = _family([(0, folded)], _to_cyrillic, _CYRILLIC_CAP, _CYRILLIC_MAX_PENALTY)
        latin = _family(cyrillic, _to_latin, _LATIN_CAP, _LATIN_MAX_PENALTY)
    elif _CYRILLIC_WORD.fullmatch(word.lower()) and word[:1].isupper():
        # Transliterate the unfolded word: қ, ң, ғ, ы say more about the Latin spelling than к, н, г.
        own = [(0, word.lower())]
        latin = _family(own, _to_latin, _LATIN_CAP, _LATIN_MAX_PENALTY)
        cyrillic = _family(latin, _to_cyrillic, _CYRILLIC_CAP, _ROUND_TRIP_MAX_PENALTY)
        sisters = [(p, s) for p, s in cyrillic if s != folded]
        latin = _family(own + sisters, _to_latin, _LATIN_CAP, _LATIN_MAX_PENALTY)
    else:
        return frozenset({folded} if folded else ())
    return frozenset({folded} | {s for _, s in cyrillic} | {s for _, s in latin})


def _family(
    seeds: list[tuple[int, str]], convert: Callable[[str], list[tuple[int, str]]], cap: int, max_penalty: int
) -> list[tuple[int, str]]:
    """The cheapest spellings, in the other script, of some ranked spellings; penalties add up."""
    found: dict[str, int] = {}
    for penalty, seed in seeds:
        for extra, spelling in convert(seed):
            if penalty + extra <= max_penalty:
                found[spelling] = min(found.get(spelling, 99), penalty + extra)
    return sorted((p, s) for s, p in found.items())[:cap]


def _to_latin(word: str) -> list[tuple[int, str]]:
    """Latin spellings of a lowercase Cyrillic word, cheapest first."""
    segments: list[_Options] = []
    for i, letter in enumerate(word):
        if letter == "е" and (i == 0 or word[i - 1] in "аәеёиоөуұүыіэюя"):
            segments.append(_E_IOTATED)
        elif letter in _TO_LATIN:
            segments.append(_TO_LATIN[letter])
        else:
            return []
    return _combine(segments)


def _to_cyrillic(word: str) -> list[tuple[int, str]]:
    """Folded Cyrillic spellings of a lowercase Latin word, cheapest first."""
    segments: list[_Options] = []
    i = 0
    while i < len(word):
        digraph = next((d for d in _FROM_LATIN_DIGRAPHS if word.startswith(d, i)), None)
        if digraph:
            segments.append(_FROM_LATIN_DIGRAPHS[digraph])
            i += len(digraph)
            continue
        options = _latin_letter(word, i)
        if options is None:
            return []
        segments.append(options)
        i += 1
    return _combine(segments)


def _latin_letter(word: str, i: int) -> _Options | None:
    letter = word[i]
    after_vowel = i > 0 and word[i - 1] in _LATIN_VOWELS
    if letter == "y":
        before_vowel = i + 1 < len(word) and word[i + 1] in _LATIN_VOWELS
        return (("й", 0),) if before_vowel or after_vowel else (("ы", 0), ("и", 1))
    if letter == "e":
        # Э starts words (Ekibastuz → Экибастуз); after a vowel it is mostly loanwords (aero-).
        return (("е", 0), ("э", 1 if i == 0 else 2)) if i == 0 or after_vowel else (("е", 0),)
    if letter == "i":
        return (("и", 0), ("й", 1)) if after_vowel else (("и", 0), ("ы", 1))
    if letter == "q":
        # Russian writes the қ of қазақ as х (Qazaqstan → Казахстан), but not elsewhere (Aqtau → Актау).
        at_end_or_before_s = i + 1 == len(word) or word[i + 1] == "s"
        return (("к", 0), ("х", 1)) if i > 0 and at_end_or_before_s else (("к", 0),)
    return _FROM_LATIN.get(letter)


def _combine(segments: list[_Options], beam: int = 16) -> list[tuple[int, str]]:
    """Cheapest concatenations of one option per segment (a beam: penalties only add up)."""
    best: list[tuple[int, str]] = [(0, "")]
    for options in segments:
        step: dict[str, int] = {}
        for penalty, prefix in best:
            for spelling, extra in options:
                candidate = prefix + spelling
                step[candidate] = min(step.get(candidate, 99), penalty + extra)
        best = sorted((p, s) for s, p in step.items())[:beam]
    return best
