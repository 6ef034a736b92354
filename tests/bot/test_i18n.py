"""The bot's catalogs (bot/locales/*/LC_MESSAGES/dozor.po) against the strings the code uses.

Every msgid marked with _() or N_() in bot/*.py must have a real translation in every catalog,
with the same {placeholders} and HTML tags (a lost tag would make Telegram refuse the message).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, catalog_path, language_for, translator

BOT = Path(__file__).parents[2] / "bot"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"</?[a-z]+>")
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# A one-literal _("…") call, also inside f-strings, which Babel's extractor may not see into.
MARKED = re.compile(r"""\bN?_\(\s*(["'])((?:(?!\1)[^\\\n])+)\1\s*\)""")


def used_messages() -> set[str]:
    found = set()
    for path in sorted(BOT.glob("*.py")):
        found |= {message for _line, message, _comments, _context in extract_from_file("python", path)}
    return found


def catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


def test_the_extractor_sees_every_marked_string() -> None:
    used = used_messages()
    literal = {match.group(2) for path in BOT.glob("*.py") for match in MARKED.finditer(path.read_text("utf-8"))}
    assert literal - used == set(), "move these _() calls out of f-strings so they can be extracted"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_the_bot_uses_is_translated(language: str) -> None:
    entries = {message.id: message for message in catalog(language) if message.id}
    missing = sorted(m for m in used_messages() if m not in entries or not entries[m].string)
    fuzzy = sorted(m for m, entry in entries.items() if entry.fuzzy)
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_catalog_keeps_messages_the_code_no_longer_uses(language: str) -> None:
    entries = {message.id for message in catalog(language) if message.id}
    assert sorted(entries - used_messages()) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_tags(language: str) -> None:
    for entry in catalog(language):
        if not entry.id:
            continue
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(entry.id)), entry.id
        assert sorted(TAG.findall(entry.string)) == sorted(TAG.findall(entry.id)), entry.id


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_russian_and_kazakh_are_written_in_cyrillic(language: str) -> None:
    untranslated = [entry.id for entry in catalog(language) if entry.id and not CYRILLIC.search(entry.string)]
    assert untranslated == []


@pytest.mark.parametrize(("language_code", "language"), [
    ("ru", "ru"), ("ru-RU", "ru"), ("kk", "kk"), ("kk-KZ", "kk"), ("KK", "kk"), ("en", "en"),
    ("en-GB", "en"), ("uk", "en"), ("de", "en"), ("", "en"), (None, "en"),
])
def test_the_language_comes_from_telegrams_language_code(language_code: str | None, language: str) -> None:
    assert language_for(language_code) == language


def test_each_language_has_its_own_words_and_unknown_ones_get_english() -> None:
    message = "Nothing was deleted."
    assert [translator(code)(message) for code in ("ru", "kk", "en", "xx")] == [
        "Ничего не удалено.", "Ештеңе өшірілген жоқ.", message, message]
