"""Inline keyboards and their callback data (Telegram allows 64 bytes of it per button).

Callback data never carries what a user wrote: a topic key, a language code, or a search's
short key (the words stay in the chat's memory, see bot/commands_news.py) plus an offset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from monitor.config import Config, TopicConfig

MAX_CALLBACK_BYTES = 64
TOPIC_PREFIX = "t:"
STOP_YES, STOP_NO = "stop:yes", "stop:no"
LANG_PREFIX = "lang:"
MORE_PREFIX = "more:"
SUBSCRIBED, NOT_SUBSCRIBED, URGENT = "✅", "▫️", "🚨"
MAX_LABEL = 48  # characters of a topic title on a button; a phone shows about that much


def topic_key(topic_id: str) -> str:
    """The topic's id, or a short hash of an id too long for callback data."""
    if len((TOPIC_PREFIX + topic_id).encode()) <= MAX_CALLBACK_BYTES:
        return topic_id
    return "#" + hashlib.blake2s(topic_id.encode(), digest_size=8).hexdigest()


def topic_for_key(config: Config, key: str) -> TopicConfig | None:
    return next((topic for topic in config.topics if topic_key(topic.id) == key), None)


def topics_keyboard(topics: Iterable[TopicConfig], mine: Iterable[str]) -> InlineKeyboardMarkup:
    """One button per topic, ✅ when the chat follows it, 🚨 when it is urgent."""
    chosen = set(mine)
    rows = []
    for topic in topics:
        mark = SUBSCRIBED if topic.id in chosen else NOT_SUBSCRIBED
        urgent = f"{URGENT} " if topic.priority == "urgent" else ""
        label = topic.label if len(topic.label) <= MAX_LABEL else topic.label[: MAX_LABEL - 1] + "…"
        rows.append([InlineKeyboardButton(f"{mark} {urgent}{label}",
                                          callback_data=TOPIC_PREFIX + topic_key(topic.id))])
    return InlineKeyboardMarkup(rows)


def stop_keyboard(_: Callable[[str], str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(_("Yes, delete everything"), callback_data=STOP_YES),
        InlineKeyboardButton(_("Cancel"), callback_data=STOP_NO),
    ]])


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=LANG_PREFIX + code) for code in LANGUAGES
    ]])


def more_keyboard(_: Callable[[str], str], search_key: str, offset: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(_("More results"), callback_data=f"{MORE_PREFIX}{search_key}:{offset}")
    ]])
