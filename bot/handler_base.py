"""What every group of command handlers shares: config, store, clock, the chat's language, replies.

Store calls run in a worker thread (`db`), so a slow database never stalls the bot's loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from datetime import datetime, timezone
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.i18n import LANGUAGES, language_for, translator
from monitor.config import Config
from monitor.live_config import LiveConfig
from monitor.store.db import Store
from monitor.store.subscribers import choices_of

log = logging.getLogger(__name__)
T = TypeVar("T")
Gettext = Callable[[str], str]
Context = ContextTypes.DEFAULT_TYPE
MAX_TEXT = 4000  # Telegram's limit is 4096 characters; keep clear of it
# Edits that cannot happen and need not: the same keyboard twice (two quick taps), or a message
# too old to edit (48 h) or deleted. The button's own action still happened.
_HARMLESS_EDIT_ERRORS = ("not modified", "can't be edited", "to edit not found")
# Lists of links would each unfold a preview card of the first one; answers read better without.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Handlers:
    """A group of handlers bound to the live config, the store and a clock."""

    def __init__(self, live: LiveConfig, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self.live = live
        self.store = store
        self.clock = clock

    @property
    def config(self) -> Config:
        return self.live.current

    async def db(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `action(session, *args)` in one transaction, in a worker thread."""
        return await asyncio.to_thread(self._in_session, action, *args, **kwargs)

    def _in_session(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self.store.session() as session:
            return action(session, *args, **kwargs)

    async def language(self, update: Update) -> str:
        """The chat's chosen language, else the one its Telegram app uses."""
        choices = await self.db(choices_of, chat_id(update))
        if choices is not None and choices.language in LANGUAGES:
            return choices.language
        user = update.effective_user
        return language_for(user.language_code if user else None)

    async def tr(self, update: Update) -> tuple[str, Gettext]:
        """(language, gettext) for this update's chat."""
        language = await self.language(update)
        return language, translator(language)

    def is_admin(self, update: Update) -> bool:
        return chat_id(update) in self.config.telegram.admins


GROUPS = ("group", "supergroup")
# Telegram's sender for a group admin who posts anonymously (as the group itself).
ANONYMOUS_ADMIN_SENDER = 1087968824
Handler = Callable[[Any, Update, Context], Awaitable[None]]


def group_admins_only(handler: Handler) -> Handler:
    """In a group, only its admins may change what Dozor sends there (topics, language, digest,
    quiet hours, /stop); anyone may read. Private chats are their own admin."""

    @wraps(handler)
    async def guarded(self: Handlers, update: Update, context: Context) -> None:
        if await may_change(update, context):
            await handler(self, update, context)
            return
        _lang, _ = await self.tr(update)
        refusal = _("In a group, only its admins can change what Dozor sends here.")
        if update.callback_query is not None:
            await update.callback_query.answer(refusal, show_alert=True)
        else:
            await reply(update, refusal)

    return guarded


async def may_change(update: Update, context: Context) -> bool:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type not in GROUPS:
        return True
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous admin, posting as the group
    if user is None or user.id == ANONYMOUS_ADMIN_SENDER:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("could not check a group member's rights (%s); refusing the change", exc)
        return False
    return member.status in ("creator", "administrator")


def chat_id(update: Update) -> int:
    return update.effective_chat.id  # type: ignore[union-attr]


async def reply(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer in the chat the update came from (HTML; every scraped or typed text is escaped)."""
    if update.effective_message is None:
        return None
    return await update.effective_message.reply_text(
        html, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=False,
        link_preview_options=NO_PREVIEW,
    )


async def edit_markup(update: Update, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the keyboard under the pressed message."""
    try:
        await update.callback_query.edit_message_reply_markup(reply_markup=markup)  # type: ignore[union-attr]
    except BadRequest as exc:
        if not any(harmless in exc.message.lower() for harmless in _HARMLESS_EDIT_ERRORS):
            raise


async def edit_text(update: Update, html: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Rewrite the pressed message (and drop or replace its keyboard)."""
    try:
        await update.callback_query.edit_message_text(  # type: ignore[union-attr]
            html, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        if not any(harmless in exc.message.lower() for harmless in _HARMLESS_EDIT_ERRORS):
            raise


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis (before escaping, so no tag is cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
