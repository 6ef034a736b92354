"""Word forms of a term, folded, for the matcher's automaton: задержать → задержали, задержан …

`FormExpander().forms(word)` is every folded form that should match the single-word term `word`,
fold(word) included. No I/O but loading pymorphy3 (ru, uk) and lemminflect once. The union of:

- Russian and Ukrainian: the pymorphy3 lexeme of each dictionary parse whose normal form is the
  word. A lowercase word that is only an inflected form takes its top parse's lexeme if it has 5+
  letters (задержан → задержать) and nothing if shorter: Kazakh дала (steppe) is also дать's past.
  A lowercase term ignores person-name readings (Kazakh адам is not the name Адам). Participles
  are in the verb's lexeme, so задержать gives задержанные but never задержка.
- Russian names: a Capitalised word the Russian dictionary does not know (Жанаозен) is declined by
  a small rule instead (-а -у -ом -е; -а → -ы -е -у -ой; -о -у -и … indeclinable), because
  pymorphy's guesses decline names as adjectives. A lowercase unknown word is taken for Kazakh.
- English: lemminflect's lemmas of a Latin word and all their inflections (strike → struck).
- Kazakh: the suffix rule below, on the term and its Cyrillic spellings, when the term may be a
  noun: unknown to the dictionaries, or a noun in one (Kazakh text declines loans: полицияға).
- Other scripts (`monitor.translit`): for a Capitalised Cyrillic word that is not a common Russian
  word, or a Latin word that is not English (Aktau), the forms of its other spellings.
A generated form that is a *different* common Russian or Ukrainian word is dropped (пар + -та =
парта), as is a spelling that is another common word (Тан → tan; Semey → семей, "of families").
Names' forms are kept (кітабы, "his book", is also the plural of Китаб, a town). The price: some
true Kazakh forms go (сотқа, "to court", is Russian сотка). Ukrainian tags no place names, so
only the Russian dictionary decides whether a word is a name.

The Kazakh rule: stem (+ plural -лар/-дар/-тар) (+ 3rd-person possessive -ы/-сы) + one of the seven
cases, plus the relative -ғы after the locative (Ақтаудағы) and -менен beside -мен. The allomorph
follows the stem's last sound (vowel; л р й у и; м н ң; ж з; voiceless) and the harmony (back
а о ұ ы, front ә ө ү і е) of its last vowel — skipping a final у after a vowel (Ақтау is back) and
the surname ending -ов/-ев (Тоқаевқа). Harmony is certain when the term shows its vowels — Kazakh
letters, or a Russian common word — and otherwise (Актау could be Әктау) both series are made.

Over-generates: both harmony series for names written without Kazakh letters; case forms of
Russian loans Kazakh text rarely uses; п/к/қ → б/г/ғ before the possessive both applied and not
(кітабы and кітапы); every suffix chain above whether or not it occurs for that word.
Under-generates: 1st/2nd-person possessives (-ым, -ың, -ымыз, -ыңыз) and the dative -а/-е after
them; predicative endings (-мын, -мыз); the similative -дай and equative -ша; derivations
(ақтаулық "from Aktau", ереуілші "striker"); verb forms (қамау is the verbal noun: қамады and
қамалды are not generated); stems that drop a vowel (орын → орны, ауыз → аузы); loans whose
harmony breaks the rule; Kazakh written in Latin script (Aqtauda). Write those as extra terms or
as a prefix (ереуіл*). Hyphenated forms (Ақтау-да) need nothing: the hyphen is a word boundary.
"""

from __future__ import annotations

import functools
import os
import re

import lemminflect
import pymorphy3
from pymorphy3.analyzer import Parse
from pymorphy3.units import DictionaryAnalyzer

from monitor.fold import fold
from monitor.translit import spellings, visible

_CYRILLIC = re.compile(r"[а-яёәғқңөұүһіїєґ]+")
_LATIN = re.compile(r"[a-zäöüūığşçñé]+")
_KAZAKH_LETTERS = frozenset("әғқңөұүһі")
_PROPER = frozenset({"Name", "Surn", "Patr", "Geox", "Orgn", "Trad"})
_PERSONAL = frozenset({"Name", "Surn", "Patr", "Abbr", "Init"})
_CONSONANTS = frozenset("бвгджзйклмнпрстфхцчшщ")
# A shorter word that is only an inflected form of some lemma is more likely another language's
# word than an operator's inflected term: Kazakh дала (steppe) is дать's past, ел (country) есть's.
_MIN_INFLECTED = 5


class FormExpander:
    """Loads pymorphy3 (ru, uk) and lemminflect once; caches the forms of each word."""

    def __init__(self) -> None:
        self._ru = pymorphy3.MorphAnalyzer(lang="ru")
        self._uk = pymorphy3.MorphAnalyzer(lang="uk")
        lemminflect.getAllLemmas("loaded")  # lemminflect reads its tables on first use
        lemminflect.getAllInflections("load")
        self._vocabularies = (_Vocabulary(self._ru), _Vocabulary(self._uk))
        self._cache: dict[str, frozenset[str]] = {}

    def close(self) -> None:
        """Let go of the dictionaries (~100 MB), lemminflect's included: it keeps its tables in
        process-wide singletons, which load again on its next use. The expander is unusable after."""
        from lemminflect.utils.Singleton import _Singleton

        self._ru = self._uk = None  # type: ignore[assignment]
        self._vocabularies = ()  # type: ignore[assignment]
        self._cache.clear()
        _Singleton._instances.clear()

    def forms(self, word: str) -> frozenset[str]:
        """Every folded form that should match the single-word term `word`, fold(word) included."""
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = frozenset(self._expand(visible(word)))
        return cached

    def _expand(self, word: str) -> set[str]:
        lower = word.lower()
        if _LATIN.fullmatch(lower):
            return self._latin(word)
        if _CYRILLIC.fullmatch(lower):
            return self._cyrillic(word)
        return {fold(word)}  # digits, hyphens, mixed scripts: the form as written

    def _latin(self, word: str) -> set[str]:
        if lemminflect.getAllLemmas(word.lower()):
            return {fold(word)} | _english_forms(word.lower())
        return {fold(word)} | self._other_spellings(word)  # Aktau: not an English word, so a name

    def _cyrillic(self, word: str, with_spellings: bool = True) -> set[str]:
        capitalised = word[:1].isupper()
        russian = self._chosen(self._ru, word, capitalised)
        ukrainian = self._chosen(self._uk, word, capitalised)
        out = {fold(word)} | _lexeme_forms(russian + ukrainian)
        # Ukrainian tags no place names (Жанаозен is a plain noun there): only Russian tells names apart.
        russian_common = any(not _PROPER & p.tag.grammemes for p in russian)
        if capitalised and not russian:
            out |= self._unless_other_words(_russian_name_forms(fold(word)), out, fold(word))
        if not (russian or ukrainian) or any(p.tag.POS == "NOUN" for p in russian + ukrainian):
            exact = russian_common or bool(_KAZAKH_LETTERS & set(word.lower()))
            out |= self._unless_other_words(_kazakh_forms(word.lower(), exact), out, fold(word))
        if with_spellings and capitalised and not russian_common:
            out |= self._other_spellings(word)
        return out

    def _other_spellings(self, word: str) -> set[str]:
        """Forms of the word's other spellings that are not some other common word."""
        out: set[str] = set()
        for spelling in spellings(word) - {fold(word)}:
            if _LATIN.fullmatch(spelling):
                if not lemminflect.getAllLemmas(spelling):
                    out.add(spelling)
            elif not self._is_common_russian(spelling):
                # Declined like a Capitalised term, from its folded (harmony-blind) spelling.
                out |= self._cyrillic(spelling.capitalize(), with_spellings=False)
        return out

    def _chosen(self, morph: pymorphy3.MorphAnalyzer, word: str, capitalised: bool) -> list[Parse]:
        """The dictionary parses whose lexemes the term means; [] when the dictionary does not know it."""
        parses = [
            p for p in _dictionary_parses(morph, word)
            # A lowercase term is a common word: Kazakh адам (person) is not the name Адам.
            if capitalised or not _PERSONAL & p.tag.grammemes
        ]
        chosen = [p for p in parses if fold(p.normal_form) == fold(word)]
        if not chosen and not capitalised and len(word) >= _MIN_INFLECTED:
            chosen = parses[:1]  # задержан → задержать; but дала stays дала, not дать
        return chosen

    def _unless_other_words(self, generated: set[str], own: set[str], lemma: str) -> set[str]:
        """Drop generated forms that are another common Russian or Ukrainian word (пар + -та =
        парта). A name's form is kept: кітабы (his book) is also the plural of Китаб, a town."""
        stem = os.path.commonprefix(list(generated))
        roots = [spelled for v in self._vocabularies for spelled in v.spellings_in_use(stem)]
        known = self._known_among(generated - own, stem, roots, len(stem)) if roots else set()
        return generated - {form for form in known if self._is_other_common_word(form, lemma)}

    def _is_other_common_word(self, word: str, lemma: str) -> bool:
        parses = _dictionary_parses(self._ru, word) + _dictionary_parses(self._uk, word)
        if any(fold(p.normal_form) == lemma for p in parses):
            return False  # the same word: Ukrainian knows жанаозена as Жанаозен's genitive
        return any(not _PROPER & p.tag.grammemes for p in parses)

    def _is_common_russian(self, word: str) -> bool:
        # Russian only: Ukrainian tags no place names, so its казахстан looks like a common noun.
        return any(not _PROPER & p.tag.grammemes for p in _dictionary_parses(self._ru, word))

    def _known_among(
        self, forms: set[str], prefix: str, roots: list[tuple[_Vocabulary, str]], stem_length: int
    ) -> set[str]:
        """The forms a dictionary knows: a walk down their shared prefixes, pruned where no
        dictionary word starts so (a lookup costs a few µs; most generated forms die early).
        `roots` are the dictionaries' spellings of the shared stem (ёлка for елка)."""
        if len(forms) <= 2:  # a probe costs about what a lookup does
            return {f for f in forms if any(v.knows(f) for v in self._vocabularies)}
        if not any(v.starts(spelled + prefix[stem_length:]) for v, spelled in roots):
            return set()
        known = {f for f in forms if f == prefix and any(v.knows(f) for v in self._vocabularies)}
        by_next: dict[str, set[str]] = {}
        for form in forms:
            if len(form) > len(prefix):
                by_next.setdefault(form[: len(prefix) + 1], set()).add(form)
        for longer, group in by_next.items():
            known |= self._known_among(group, longer, roots, stem_length)
        return known


def _dictionary_parses(morph: pymorphy3.MorphAnalyzer, word: str) -> list[Parse]:
    if not morph.word_is_known(word):
        return []  # and skip pymorphy's guessers: the slow part, and wrong for names
    return [p for p in morph.parse(word) if isinstance(p.methods_stack[0][0], DictionaryAnalyzer)]


def _lexeme_forms(parses: list[Parse]) -> set[str]:
    forms: set[str] = set()
    seen: set[tuple[str, str | None]] = set()
    for parse in parses:
        if (parse.normal_form, parse.tag.POS) not in seen:  # one lexeme, several parses
            seen.add((parse.normal_form, parse.tag.POS))
            forms.update(fold(form.word) for form in parse.lexeme)
    return forms


class _Vocabulary:
    """A pymorphy3 dictionary asked about folded words: known, or the start of a known word."""

    def __init__(self, morph: pymorphy3.MorphAnalyzer) -> None:
        self._morph = morph
        # ru: е may stand for ё; uk: г for ґ. One substitution per word is enough in practice.
        self._substitutes = {
            plain.decode(): [spelled for _, spelled in options]
            for plain, options in morph.char_substitutes.items()
        }

    def knows(self, word: str) -> bool:
        return self._morph.word_is_known(word)

    def starts(self, prefix: str) -> bool:
        return next(iter(self._morph.dictionary.words.iterkeys(prefix)), None) is not None

    def spellings_in_use(self, stem: str) -> list[tuple[_Vocabulary, str]]:
        """(self, spelling) for the spellings of `stem` some known word starts with (елка → ёлка)."""
        candidates = [stem] + [
            stem[:i] + spelled + stem[i + 1:]
            for i, letter in enumerate(stem)
            for spelled in self._substitutes.get(letter, ())
        ]
        return [(self, spelled) for spelled in candidates if self.starts(spelled)]


def _english_forms(word: str) -> set[str]:
    """The word, its lemmas' inflections (its own lemma's only when it is one): strike → struck."""
    lemmas = [(upos, lemma) for upos, found in lemminflect.getAllLemmas(word).items() for lemma in found]
    own = [(upos, lemma) for upos, lemma in lemmas if lemma == word] or lemmas
    out = {word}
    for upos, lemma in own:
        for inflected in lemminflect.getAllInflections(lemma, upos=upos).values():
            out.update(fold(form) for form in inflected)
    return out


def _russian_name_forms(word: str) -> set[str]:
    """A conservative Russian declension of an unknown (folded) name; indeclinable endings get none."""
    stem, last = word[:-1], word[-1:]
    if last in _CONSONANTS - {"й"}:
        endings = ["а", "у", "ом", "е"] + (["ем"] if last in "жцчшщ" else [])
        return {word + e for e in endings}
    if last == "й":
        return {stem + e for e in ("я", "ю", "ем", "е")}
    if word.endswith("ия"):
        return {stem + e for e in ("и", "ю", "ей", "ею")}
    if last == "а":
        plural = "и" if stem[-1:] in "гкхжчшщ" else "ы"
        return {stem + e for e in (plural, "е", "у", "ой", "ою")}
    if last == "я":
        return {stem + e for e in ("и", "е", "ю", "ей", "ею")}
    if last == "ь":
        return {stem + e for e in ("и", "ью", "я", "ю", "ем", "е")}
    return set()  # -о -е -и -у -ю -ы: Актау, Кюсю, Алматы


# Kazakh case endings by the stem's last sound: nominative, genitive, dative, accusative,
# locative, ablative, instrumental. A = а/е, I = ы/і, G = ғ/г, K = қ/к by harmony.
_CASES = {
    "vowel": ("", "нIң", "GA", "нI", "дA", "дAн", "мен"),
    "sonorant": ("", "дIң", "GA", "дI", "дA", "дAн", "мен"),  # л р й у и ю
    "nasal": ("", "нIң", "GA", "дI", "дA", "нAн", "мен"),
    "voiced": ("", "дIң", "GA", "дI", "дA", "дAн", "бен"),  # ж з
    "voiceless": ("", "тIң", "KA", "тI", "тA", "тAн", "пен"),
}
_AFTER_POSSESSIVE = ("", "нIң", "нA", "н", "ндA", "нAн", "мен")
_LOCATIVE, _INSTRUMENTAL = 4, 6
_HARMONY = {"back": str.maketrans("AIGK", "аығқ"), "front": str.maketrans("AIGK", "еігк")}
_VOICING = {"п": "б", "к": "г", "қ": "ғ"}  # before a vowel: кітап → кітабы
# Vowels that settle harmony however the word is spelled, and those that do only when the word
# shows its vowels (Kazakh letters, or a Russian common word): folded а о у may be ә ө ү.
_FRONT, _BACK, _BACK_IF_SPELLED = frozenset("әөүіеэ"), frozenset("ыұяё"), frozenset("аоу")


def _kazakh_forms(stem: str, exact: bool) -> set[str]:
    """Folded case forms of a Kazakh noun stem (lowercase, unfolded); see the module docstring."""
    bare = stem.rstrip("ьъ")
    sound, last = _sound(bare), bare[-1:]
    folded, voiced = fold(stem), fold(bare[:-1] + _VOICING.get(last, ""))
    out: set[str] = set()
    for harmony in _harmonies(stem, exact):
        out.update(folded + suffix for suffix in _suffixes(sound, last == "л", harmony))
        if last in _VOICING:
            out.update(voiced + suffix for suffix in _suffixes("voiced-possessive", False, harmony))
    return out


@functools.cache
def _suffixes(sound: str, after_l: bool, harmony: str) -> tuple[str, ...]:
    """Folded suffix chains: (plural) (possessive) case (relative | -менен). Computed once per key."""
    if sound == "voiced-possessive":
        bases = [("I", True)]
    else:
        plural = "тAр" if sound == "voiceless" else "дAр" if sound in ("nasal", "voiced") or after_l else "лAр"
        bases = [("", False), (plural, False), (("сI" if sound == "vowel" else "I"), True), (plural + "I", True)]
    chains = []
    for base, possessed in bases:
        endings = _AFTER_POSSESSIVE if possessed else _CASES[sound if not base else "sonorant"]
        for case, ending in enumerate(endings):
            chains.append(base + ending)
            if case == _LOCATIVE:
                chains.append(base + ending + "GI")  # Ақтаудағы
            if case == _INSTRUMENTAL:
                chains.append(base + ending + "ен")  # -менен
    return tuple(fold(chain.translate(_HARMONY[harmony])) for chain in chains)


def _sound(stem: str) -> str:
    last = stem[-1:]
    if last in "аәеоөұүыіэяё":
        return "vowel"
    if last in "лрйуию":
        return "sonorant"
    if last in "мнң":
        return "nasal"
    if last in "жз":
        return "voiced"
    return "voiceless"


def _harmonies(stem: str, exact: bool) -> tuple[str, ...]:
    """Back, front or both, from the last vowel. Two last vowels do not count when another comes
    before them: у after a vowel, a glide (Ақтау is back), and the Russian surname ending -ов/-ев,
    which takes the root's harmony (Тоқаевқа, Мәсімовке)."""
    vowels = [c for c in stem if c in "аәеоөұүыіэяёиую"]
    if len(vowels) > 1 and (vowels[-1] == "у" or stem.endswith(("ов", "ев", "ёв"))):
        vowels.pop()
    last = vowels[-1] if vowels else None  # none: an acronym (КНБ), said letter by letter
    if last in _FRONT:
        return ("front",)
    if last in _BACK or (exact and last in _BACK_IF_SPELLED):
        return ("back",)
    return ("back", "front")
