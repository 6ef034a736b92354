"""The second look at Russian feeds that feedparser and chardet decode wrongly."""

from __future__ import annotations

import pytest

from monitor.charset import better_cyrillic_encoding, codec_name, russian_score, worth_a_second_look

RUSSIAN = "Суд оштрафовал журналиста за репост"


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        pytest.param(RUSSIAN, 1, id="Russian"),
        pytest.param("КНБ задержал активиста", 1, id="Russian with an abbreviation"),
        pytest.param(RUSSIAN.encode("cp1251").decode("latin-1"), -1, id="windows-1251 read as Latin-1"),
        pytest.param(RUSSIAN.encode("koi8_r").decode("latin-1"), -1, id="KOI8-R read as Latin-1"),
        pytest.param(RUSSIAN.encode("koi8_r").decode("cp1251"), -1, id="KOI8-R read as windows-1251"),
        pytest.param("Grève générale à Nantes", 0, id="French: no opinion"),
        pytest.param("Strike in Aktau", 0, id="English: no opinion"),
    ],
)
def test_russian_score(text, sign):
    score = russian_score(text)
    assert (score > 0) - (score < 0) == sign


@pytest.mark.parametrize(
    ("body", "used", "expected"),
    [
        pytest.param(RUSSIAN.encode("cp1251"), "iso-8859-1", "cp1251", id="windows-1251 taken for Latin-1"),
        pytest.param(RUSSIAN.encode("koi8_r"), "windows-1252", "koi8_r", id="KOI8-R taken for windows-1252"),
        pytest.param(RUSSIAN.encode("koi8_r"), "windows-1251", "koi8_r", id="KOI8-R taken for windows-1251"),
        pytest.param(RUSSIAN.encode("cp1251"), "koi8-r", "cp1251", id="windows-1251 taken for KOI8-R"),
        pytest.param("Суд".encode("cp1251"), "MacCyrillic", "cp1251", id="one word chardet calls MacCyrillic"),
        pytest.param("Суд".encode("cp1251"), "windows-1252", "cp1251", id="one word chardet calls windows-1252"),
        pytest.param(RUSSIAN.encode("cp1251"), "windows-1251", None, id="already right"),
        pytest.param(RUSSIAN.encode("koi8_r"), "koi8-u", None, id="KOI8-U reads Russian the same"),
        pytest.param("Grève générale à Nantes".encode("latin-1"), "iso-8859-1", None, id="real Latin-1 left alone"),
        pytest.param("à Paris".encode("latin-1"), "windows-1252", None, id="one accented letter left alone"),
        pytest.param("ゲーム三昧な正月".encode("euc_jp"), "EUC-JP", None, id="Japanese left alone"),
    ],
)
def test_better_cyrillic_encoding(body, used, expected):
    assert better_cyrillic_encoding(body, used) == expected


@pytest.mark.parametrize(
    ("encoding", "guessed", "expected"),
    [
        ("iso-8859-1", False, True),  # a server default, declared or not
        ("windows-1252", False, True),
        ("windows-1251", False, False),  # declared Cyrillic: trusted
        ("windows-1251", True, True),  # chardet's guess: checked
        ("utf-8", True, False),  # UTF-8 that decodes is UTF-8
        ("us-ascii", False, False),
        (None, True, False),
    ],
)
def test_worth_a_second_look(encoding, guessed, expected):
    assert worth_a_second_look(encoding, guessed) is expected


def test_codec_name_knows_feedparser_and_chardet_labels():
    assert [codec_name(n) for n in ("Windows-1251", "KOI8-R", "iso-8859-1", "nonsense", None)] == [
        "cp1251", "koi8-r", "iso8859-1", None, None]
