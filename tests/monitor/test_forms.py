"""Word forms of a term, per language: what a term must find, and the traps it must not fall into.

Expected forms are written as the news spells them and folded here the way the matcher folds text,
so "ақтауда" below stands for the automaton key "актауда".
"""

from __future__ import annotations

import pytest

from monitor.forms import FormExpander
from monitor.fold import fold


@pytest.fixture(scope="module")
def expander() -> FormExpander:
    return FormExpander()


def case(name: str, term: str, finds: str = "", misses: str = ""):
    return pytest.param(term, finds.split(), misses.split(), id=name)


RUSSIAN = [
    case("verb: past, short participle, participle, gerund", "задержать",
         "задержать задержали задержал задержан задержана задержаны задержанные задержанных задержав задержит"),
    case("verb: feminine and plural short participles", "арестовать",
         "арестована арестованы арестовали арестован арестовавшие"),
    case("verb written as a participle takes its lemma's forms", "задержан", "задержать задержали задержанные"),
    case("noun in -а: all cases, both numbers", "забастовка",
         "забастовки забастовке забастовку забастовкой забастовкою забастовок забастовкам забастовками забастовках"),
    case("noun, masculine hard stem", "суд", "суда суду судом суде суды судов судам судами судах"),
    case("animate noun: accusative = genitive", "активист",
         "активиста активисту активистом активисте активисты активистов активистам активистами активистах"),
    case("compound noun", "профсоюз", "профсоюза профсоюзу профсоюзом профсоюзе профсоюзы профсоюзов профсоюзах"),
    case("ё written as е finds both", "ёлка", "елка елки елкой"),
]

UKRAINIAN = [
    case("noun арешт: genitive, instrumental, plural", "арешт", "арешту арештом арешти арештів"),
    case("noun страйк", "страйк", "страйку страйком страйки страйків"),
]

ENGLISH = [
    case("irregular verb and noun", "strike", "strikes striking struck stricken"),
    case("regular verb and noun", "arrest", "arrested arrests arresting"),
    case("regular verb", "detain", "detained detains detaining"),
    case("capitalised English word is still English", "Protest", "protest protests protested protesting"),
]

KAZAKH = [
    case("place name: locative, relative, ablative, genitive, dative", "Ақтау",
         "ақтауда ақтаудағы ақтаудан ақтаудың ақтауға ақтауды ақтаумен ақтауы"),
    case("front-vowel noun: dative, locative, plural + case, possessive", "ереуіл",
         "ереуілге ереуілде ереуілдер ереуілдерге ереуілдердің ереуілі ереуілінде ереуілдегі ереуілмен"),
    case("verbal noun ending in у", "қамау", "қамауға қамауда қамаудан қамауды"),
    case("nasal stem: genitive -ның, ablative -нан", "Жаңаөзен", "жаңаөзенде жаңаөзеннің жаңаөзеннен жаңаөзендегі"),
    case("back stem ending in у", "Маңғыстау", "маңғыстауда маңғыстаудағы маңғыстаудың"),
    case("voiceless stem: -қа, -та, -тың, and қ → ғ before the possessive", "наразылық",
         "наразылыққа наразылықта наразылықтың наразылықпен наразылығы"),
    case("Russian loan noun declined in Kazakh", "полиция", "полицияға полицияда полицияның"),
    case("Russian spelling of a Kazakh city, front vowel", "Шымкент", "шымкентте шымкенттегі шымкенттен"),
    case("known city, back vowel ы", "Алматы", "алматыда алматыдағы алматыдан алматының"),
    case("harmony unknown from Latin: both series", "Aktau", "ақтауда актауде ақтаудағы"),
    case("Russian surname ending -ев takes the root's harmony", "Тоқаев", "тоқаевқа тоқаевтың тоқаевпен",
         misses="тоқаевке"),
    case("common Kazakh word that is a Russian name stays Kazakh", "адам", "адамдар адамға адамның"),
]

NAMES = [
    case("unknown name declined the Russian way", "Жанаозен", "жанаозена жанаозену жанаозеном жанаозене"),
    case("Kazakh spelling of a name is declined the Russian way too", "Жаңаөзен", "жанаозена жанаозене"),
    case("Russian rule for -й names", "Семей", "семея семею семеем семее"),
    case("Latin name finds Cyrillic and Kazakh spellings", "Aktau", "aktau aqtau актау ақтау"),
    case("Latin name declined in Russian", "Zhanaozen", "жанаозен жанаозене жаңаөзенде"),
    case("Russian name finds Latin and Kazakh spellings", "Мангистау", "mangistau mangystau маңғыстау маңғыстауда"),
    case("Kazakhstan in every script", "Kazakhstan", "казахстан казахстане казахстана қазақстан қазақстанда qazaqstan"),
    case("Kazakh spelling finds the Russian one", "Қазақстан", "казахстан казахстане kazakhstan qazaqstan"),
]

TRAPS = [
    case("a verb's forms are not its derived noun", "задержать", misses="задержка задержки задержку"),
    case("a word is not a longer word it starts", "газ", misses="газпром газета газон"),
    case("Aktau is not сақтау (keep) or мақтау (praise)", "Aktau", misses="сақтау мақтау сактау"),
    case("Ақтау is not сақтау either", "Ақтау", misses="сақтау мақтау"),
    case("Ukrainian арешт is not нарешті (finally)", "арешт", misses="нарешті"),
    case("a Kazakh suffix never makes another Russian word", "пар", finds="парда", misses="парта"),
    case("a short inflected form is not lemmatised", "дала", finds="далада", misses="дал дали дать"),
    case("Kazakh адам is not the name Адам", "адам", misses="адама адамом"),
    case("an indeclinable name gets no Russian endings", "Мангистау", misses="мангистауа мангистауом мангистаум"),
    case("an indeclinable -у name", "Актау", misses="актауа актауом"),
    case("an English word gets no Cyrillic look-alike", "strike", misses="стрике страйк"),
    case("a spelling that is another common word is dropped", "Тан", misses="tan"),
    case("a Cyrillic spelling that is a Russian word is dropped", "Semey", misses="семей"),
    case("noun forms are not the verb's", "protest", misses="protester protesters"),
]


@pytest.mark.parametrize(("term", "finds", "misses"), RUSSIAN + UKRAINIAN + ENGLISH + KAZAKH + NAMES + TRAPS)
def test_forms(expander, term, finds, misses):
    forms = expander.forms(term)
    assert fold(term) in forms
    assert {fold(f) for f in finds} - forms == set()
    assert {fold(m) for m in misses} & forms == set()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param("COVID-19", {"covid-19"}, id="digits and hyphens: the form as written"),
        pytest.param("Aқтау", {"aктау"}, id="mixed scripts: the form as written"),
        pytest.param("  Забастовка\u200b ", None, id="spaces and zero-width characters do not count"),
    ],
)
def test_words_outside_the_rules(expander, term, expected):
    if expected is None:
        assert expander.forms(term) == expander.forms("Забастовка")
    else:
        assert expander.forms(term) == expected


@pytest.mark.parametrize("term", ["Кызылорда", "Маңғыстау", "Zhanaozen", "Ekibastuz", "забастовка", "задержать"])
def test_forms_stay_bounded(expander, term):
    # Every form is an automaton key; a few hundred per term keeps 1,000 terms well inside memory.
    assert len(expander.forms(term)) <= 400


def test_forms_are_cached(expander):
    assert expander.forms("ереуіл") is expander.forms("ереуіл")
