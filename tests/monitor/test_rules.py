"""The term syntax: what each kind parses to, and the errors operators see for bad terms."""

from __future__ import annotations

import pytest

from monitor.rules import EXACT, FORMS, PREFIX, Near, Phrase, Regex, TermError, parse_term


@pytest.mark.parametrize(
    ("raw", "kinds"),
    [
        ("забастовка", [(FORMS, "забастовка")]),
        ("Ақтау", [(FORMS, "актау")]),
        ('"задержан"', [(EXACT, "задержан")]),
        ('"general strike"', [(EXACT, "general"), (EXACT, "strike")]),
        ("арешт*", [(PREFIX, "арешт")]),
        ("general strike", [(FORMS, "general"), (FORMS, "strike")]),
        ("general strik*", [(FORMS, "general"), (PREFIX, "strik")]),
        ("  walkout  ", [(FORMS, "walkout")]),
    ],
)
def test_phrases_and_words(raw, kinds):
    term = parse_term(raw)
    assert isinstance(term, Phrase)
    assert [(w.kind, w.text) for w in term.words] == kinds


def test_near_and_regex():
    near = parse_term("strike NEAR/5 Aktau")
    assert isinstance(near, Near) and near.distance == 5
    assert [w.text for w in near.left.words] == ["strike"] and [w.text for w in near.right.words] == ["aktau"]
    assert parse_term("/заб[ао]стовк\\w*/") == Regex("заб[ао]стовк\\w*")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty term"),
        ('"oops', "unbalanced quotes"),
        ('say "x" now', "quotes must enclose the whole term"),
        ("ar*", "too short"),
        ("a*b", "'*' may only end a word"),
        ("strike NEAR/x Aktau", "NEAR needs a distance"),
        ("strike NEAR/500 Aktau", "NEAR needs a distance"),
        ("NEAR/5 Aktau", "two terms around one NEAR"),
        ("/[/", "invalid regex"),
        ("/" + "a" * 400 + "/", "longer than"),
        ("---", "no letters or digits"),
    ],
)
def test_invalid_terms_say_why(raw, reason):
    with pytest.raises(TermError, match=reason):
        parse_term(raw)
