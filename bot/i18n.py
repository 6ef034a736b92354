"""The bot's own words in Russian, Kazakh and English: gettext catalogs read with Babel.

The catalogs are the `.po` files under `bot/locales/<lang>/LC_MESSAGES/dozor.po`, compiled in
memory on first use, so there is no build step. Handlers write `_ = translator(lang)`, then wrap
each English message in `_()` and fill its {placeholders} with `.format(...)` after translating.
Strings defined outside a handler are marked with `N_` and translated where they are shown.
Never call `_()` inside an f-string: the extractor (and tests/bot/test_i18n.py) would miss it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "dozor"
LANGUAGES = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "en"
# Each language named in itself, for the /lang buttons.
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


def language_for(language_code: str | None) -> str:
    """The bot language for Telegram's `language_code` ("ru", "kk", "en-GB" …); others get English."""
    base = (language_code or "").strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> Translations:
    """The compiled catalog of one language (read once; the files ship with the code)."""
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, so they fall back to English
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translator(language: str) -> Callable[[str], str]:
    """`gettext` for a language; an unknown one gets English."""
    return translations(language if language in LANGUAGES else DEFAULT_LANGUAGE).gettext
