"""The first matcher: whole words and phrases, case-insensitive, ё = е."""

from __future__ import annotations

import pytest

from monitor.config import TopicConfig
from monitor.match import Matcher, TopicMatch

TOPICS = [
    TopicConfig(id="strikes", any=["strike", "забастовка", "ереуіл", "general strike"]),
    TopicConfig(id="gas", any=["газ"]),
    TopicConfig(id="names", any=["Жанаозен", "ёлка"]),
]


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Oil workers STRIKE in Aktau", "", [TopicMatch("strikes", ("strike",))]),
        ("", "Жаңаөзенде ереуіл басталды", [TopicMatch("strikes", ("ереуіл",))]),
        ("Забастовка нефтяников", "", [TopicMatch("strikes", ("забастовка",))]),
        ("A general\nstrike", "", [TopicMatch("strikes", ("general strike",))]),
        ("Цены на газ выросли", "", [TopicMatch("gas", ("газ",))]),
        ("Елка на площади", "", [TopicMatch("names", ("ёлка",))]),
        ("Газпром отчитался", "", []),           # never inside another word
        ("Strikers gathered", "", []),           # word forms come with the rule language
        ("Lucky strike-out", "", [TopicMatch("strikes", ("strike",))]),  # hyphen is a word boundary
    ],
)
def test_match(title, text, expected):
    assert Matcher(TOPICS).match(title, text) == expected
