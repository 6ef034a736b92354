"""The matching engine: word forms, spellings across scripts, the traps, phrases, NEAR, not, fields.

Each case is (name, term(s), title, text, expected found strings or None for "no match").
"""

from __future__ import annotations

import pytest

from monitor.config import TopicConfig
from monitor.forms import FormExpander
from monitor.match import Matcher
from monitor.word_forms import WordForms, default_forms


@pytest.fixture(scope="module")
def expand():
    """One expander for the module: by default every compile would load the dictionaries anew."""
    return FormExpander().forms


@pytest.fixture(scope="module")
def compile_topic(expand):
    """Matchers are cached per term set."""
    cache: dict[tuple, Matcher] = {}

    def build(any_terms, **extra) -> Matcher:
        key = (tuple(any_terms), tuple(sorted((k, str(v)) for k, v in extra.items())))
        if key not in cache:
            cache[key] = Matcher([TopicConfig(id="t", any=list(any_terms), **extra)], expand)
        return cache[key]

    return build


def found(matcher: Matcher, title: str, text: str) -> list[str] | None:
    [result] = matcher.match(title, text) or [None]
    return None if result is None else [m.found for m in result.matches]


RUSSIAN = [
    ("verb past plural", ["задержать"], "", "Полиция задержали активистов", ["задержали"]),
    ("short participle", ["задержать"], "Активист задержан в Актау", "", ["задержан"]),
    ("participle plural", ["задержать"], "", "Задержанные отпущены", ["Задержанные"]),
    ("gerund", ["задержать"], "", "задержав троих, полиция уехала", ["задержав"]),
    ("not задержка", ["задержать"], "", "Задержка рейса в Астане", None),
    ("feminine participle", ["арестовать"], "", "Журналистка арестована на 10 суток", ["арестована"]),
    ("noun genitive", ["забастовка"], "", "Участники забастовки вышли на площадь", ["забастовки"]),
    ("noun accusative", ["забастовка"], "", "Рабочие начали забастовку", ["забастовку"]),
    ("noun instrumental", ["забастовка"], "", "Они пригрозили забастовкой", ["забастовкой"]),
    ("noun plural genitive", ["забастовка"], "", "Волна забастовок", ["забастовок"]),
    ("prepositional", ["суд"], "", "В суде Актау", ["суде"]),
    ("ё equals е", ["отчёт"], "", "Годовой отчет профсоюза", ["отчет"]),
    ("газ is not Газпром", ["газ"], "", "Газпром отчитался", None),
    ("газ* is Газпром", ["газ*"], "", "Газпром отчитался", ["Газпром"]),
    ("case-insensitive", ["профсоюз"], "ПРОФСОЮЗ нефтяников", "", ["ПРОФСОЮЗ"]),
    ("exact form only", ['"задержан"'], "", "задержали, задержан", ["задержан"]),
    ("soft hyphen does not hide", ["забастовка"], "", "заба\u00adстовка", ["заба\u00adстовка"]),
    ("zero-width space does not hide", ["забастовка"], "", "заба\u200bстовка", ["заба\u200bстовка"]),
]

KAZAKH = [
    ("locative", ["Ақтау"], "", "Ақтауда жиын өтті", ["Ақтауда"]),
    ("locative + relative", ["Ақтау"], "", "Ақтаудағы ереуіл", ["Ақтаудағы"]),
    ("ablative", ["Ақтау"], "", "Ақтаудан келген жұмысшылар", ["Ақтаудан"]),
    ("hyphenated", ["Ақтау"], "", "Ақтау-да ереуіл", ["Ақтау"]),
    ("dative", ["ереуіл"], "", "жұмысшылар ереуілге шықты", ["ереуілге"]),
    ("plural dative", ["ереуіл"], "", "ереуілдерге қатысты", ["ереуілдерге"]),
    ("dative after vowel", ["қамау"], "", "белсенді қамауға алынды", ["қамауға"]),
    ("genitive", ["Жаңаөзен"], "", "Жаңаөзеннің мұнайшылары", ["Жаңаөзеннің"]),
    ("Aktau not in сақтау", ["Aktau"], "", "деректерді сақтау керек", None),
    ("Aktau not in мақтау", ["Aktau"], "", "мақтау сөз", None),
]

SPELLINGS = [
    ("Aktau in Cyrillic", ["Aktau"], "", "Забастовка в Актау", ["Актау"]),
    ("Aktau in Kazakh", ["Aktau"], "", "Ақтау қаласы", ["Ақтау"]),
    ("Актау in Latin", ["Актау"], "", "Workers in Aktau's port", ["Aktau"]),
    ("Zhanaozen Russian", ["Zhanaozen"], "", "События в Жанаозене", ["Жанаозене"]),
    ("Zhanaozen Kazakh", ["Zhanaozen"], "", "Жаңаөзенде ереуіл", ["Жаңаөзенде"]),
    ("Жанаозен in Latin", ["Жанаозен"], "", "Oil workers of Zhanaozen", ["Zhanaozen"]),
    ("Mangystau Russian", ["Mangystau"], "", "Мангистау область", ["Мангистау"]),
    ("Mangystau Kazakh", ["Mangystau"], "", "Маңғыстау облысы", ["Маңғыстау"]),
    ("Kazakhstan Russian", ["Kazakhstan"], "", "Казахстан и соседи", ["Казахстан"]),
    ("Kazakhstan Kazakh", ["Kazakhstan"], "", "Қазақстан жұмысшылары", ["Қазақстан"]),
]

ENGLISH = [
    ("irregular past", ["strike"], "", "Workers struck on Monday", ["struck"]),
    ("gerund", ["strike"], "", "The striking miners", ["striking"]),
    ("plural", ["arrest"], "", "Mass arrests in Almaty", ["arrests"]),
    ("past", ["arrest"], "Lawyer arrested", "", ["arrested"]),
    ("possessive", ["union"], "", "The union's lawyer", ["union"]),
    ("not inside a word", ["strike"], "", "Strikeforce wins", None),
]

UKRAINIAN = [
    ("арешт* is not нарешті", ["арешт*"], "", "Нарешті тепло", None),
    ("арешт* finds арештували", ["арешт*"], "", "Активіста арештували", ["арештували"]),
    ("noun forms", ["арешт"], "", "Після арешту", ["арешту"]),
]


@pytest.mark.parametrize(("name", "terms", "title", "text", "expected"),
                         RUSSIAN + KAZAKH + SPELLINGS + ENGLISH + UKRAINIAN,
                         ids=[c[0] for c in RUSSIAN + KAZAKH + SPELLINGS + ENGLISH + UKRAINIAN])
def test_words(compile_topic, name, terms, title, text, expected):
    assert found(compile_topic(terms), title, text) == expected


STRUCTURE = [
    ("phrase with forms", ["всеобщая забастовка"], "", "Объявлена всеобщая забастовка", ["всеобщая забастовка"]),
    ("phrase inflected", ["всеобщая забастовка"], "", "участники всеобщей забастовки", ["всеобщей забастовки"]),
    ("phrase across a line break", ["general strike"], "", "a general\nstrike today", ["general\nstrike"]),
    ("phrase words apart", ["general strike"], "", "general big strike", None),
    ("phrase out of order", ["general strike"], "", "strike general", None),
    ("near forward", ["strike NEAR/3 Aktau"], "", "strike of oil workers in Aktau", None),
    ("near within", ["strike NEAR/4 Aktau"], "", "strike of oil workers in Aktau", ["strike of oil workers in Aktau"]),
    ("near backward", ["strike NEAR/3 Aktau"], "", "In Актау, workers went on strike", ["Актау, workers went on strike"]),
    ("near with forms", ["задержать NEAR/3 активист"], "", "задержали двух активистов", ["задержали двух активистов"]),
    ("regex", ["/заб[ао]стовк\\w*/"], "", "забостовка (sic)", ["забостовка"]),
]


@pytest.mark.parametrize(("name", "terms", "title", "text", "expected"), STRUCTURE, ids=[c[0] for c in STRUCTURE])
def test_structure(compile_topic, name, terms, title, text, expected):
    assert found(compile_topic(terms), title, text) == expected


def test_not_vetoes_and_all_requires_every_group(expand):
    topic = TopicConfig.model_validate({
        "id": "arrests", "any": ["задержать", "arrest"],
        "all": [["активист", "журналист", "activist", "journalist"]],
        "not": ["учения", "drill"],
    })
    matcher = Matcher([topic], expand)
    assert matcher.match("Задержан активист", "") != []
    assert matcher.match("Задержан водитель", "") == []            # no word from the all-group
    assert matcher.match("Задержан активист", "это были учения") == []  # vetoed
    assert matcher.match("Activists arrested", "") != []


def test_fields_scope_the_search_and_are_reported(expand):
    title_only = Matcher([TopicConfig(id="t", any=["strike"], fields=["title"])], expand)
    assert title_only.match("Nothing here", "strike in the body") == []
    [result] = title_only.match("A strike", "")
    [match] = result.matches
    assert (match.field, match.start, match.end, match.term) == ("title", 2, 8, "strike")


def test_the_snippet_surrounds_the_first_match_in_the_text_and_marks_it(expand):
    text = ("Lorem ipsum " * 30) + "oil workers went on strike in Zhanaozen " + ("dolor sit " * 30)
    [result] = Matcher([TopicConfig(id="t", any=["strike", "Zhanaozen"])], expand).match("Title", text)
    snippet = result.snippet
    assert snippet.field == "text" and len(snippet.text) <= 210
    marked = [snippet.text[s:e] for s, e in snippet.marks]
    assert marked == ["strike", "Zhanaozen"]
    assert snippet.text.startswith("…") and snippet.text.endswith("…")


def test_offsets_point_into_the_original_text_despite_invisible_characters(expand):
    text = "Сегодня\u200b за\u00adбастовка"
    [result] = Matcher([TopicConfig(id="t", any=["забастовка"])], expand).match("", text)
    [match] = result.matches
    assert text[match.start:match.end] == "за\u00adбастовка"


# ---- the process's word forms: dictionaries in memory only while compiling ----


def test_a_matcher_compiled_with_the_default_forms_leaves_no_dictionaries_loaded():
    matcher = Matcher([TopicConfig(id="t", any=["забастовка"])])
    assert not default_forms().dictionaries_loaded
    assert found(matcher, "", "Рабочие начали забастовку") == ["забастовку"]


def test_a_word_expanded_before_needs_no_dictionaries():
    forms = WordForms()
    with forms.loaded() as expand:
        first = expand("забастовка")
        assert forms.dictionaries_loaded
    assert not forms.dictionaries_loaded
    with forms.loaded() as expand:
        assert expand("забастовка") == first
        assert not forms.dictionaries_loaded


def test_the_least_recently_used_word_is_forgotten_first():
    forms = WordForms(kept=2)
    with forms.loaded() as expand:
        for word in ("суд", "strike", "суд", "митинг"):  # strike is now the least recently used
            expand(word)
    with forms.loaded() as expand:
        expand("суд")
        expand("митинг")
        assert not forms.dictionaries_loaded
        assert "struck" in expand("strike")  # loaded again, lemminflect's tables included
        assert forms.dictionaries_loaded
