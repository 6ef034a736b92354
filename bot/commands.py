"""Subscriber commands: /start, /subscribe, /unsubscribe, /stop, /help.

Handlers only talk to the store (in a worker thread) and reply. They never log what a chat wrote
or who the user is: subscribers may be at risk.
"""

from __future__ import annotations

import asyncio
import logging
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
)

from monitor.config import Config
from monitor.live_config import LiveConfig
from monitor.store.db import Store
from monitor.store.subscribers import forget, subscribe, topics_of, unsubscribe

log = logging.getLogger(__name__)

PRIVACY = (
    "Privacy: Dozor stores only this chat's id and the topics you choose. "
    "/stop deletes all of it at once."
)
HELP = (
    "/start — welcome and the list of topics\n"
    "/subscribe <topic> — get alerts for a topic\n"
    "/unsubscribe <topic> — stop alerts for a topic\n"
    "/stop — delete everything stored about this chat\n"
    "/help — this list"
)


class Commands:
    """The handlers, bound to the config and store they read."""

    def __init__(self, live: LiveConfig, store: Store) -> None:
        self.live = live
        self.store = store

    @property
    def config(self) -> Config:
        return self.live.current

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CommandHandler("help", self.help))
        app.add_handler(CommandHandler("subscribe", self.subscribe))
        app.add_handler(CommandHandler("unsubscribe", self.unsubscribe))
        app.add_handler(CommandHandler("stop", self.stop))
        app.add_handler(ChatMemberHandler(self.membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.error)

    async def start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Welcome, the privacy note and the topics with this chat's choices ticked."""
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        mine = await asyncio.to_thread(self._topics_of, chat_id)
        text = (
            "<b>Dozor</b> watches news sources and alerts you when a topic you follow comes up.\n\n"
            f"{escape(PRIVACY)}\n\n<b>Topics</b>\n{self._topic_list(mine)}\n\n"
            "Subscribe with /subscribe <i>topic</i>, e.g. "
            f"<code>/subscribe {escape(self.config.topics[0].id) if self.config.topics else 'strikes'}</code>"
        )
        await self._reply(update, text)

    async def help(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """The command list."""
        await self._reply(update, escape(HELP))

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/subscribe <topic>."""
        topic = await self._topic_argument(update, context, "subscribe")
        if topic is None:
            return
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        added = await asyncio.to_thread(self._write, subscribe, chat_id, topic.id)
        verb = "Subscribed to" if added else "Already subscribed to"
        await self._reply(update, f"{verb} <b>{escape(topic.label)}</b>. /unsubscribe {escape(topic.id)} stops it.")

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unsubscribe <topic>."""
        topic = await self._topic_argument(update, context, "unsubscribe")
        if topic is None:
            return
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        removed = await asyncio.to_thread(self._write, unsubscribe, chat_id, topic.id)
        text = "Unsubscribed from" if removed else "You were not subscribed to"
        await self._reply(update, f"{text} <b>{escape(topic.label)}</b>.")

    async def stop(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Delete everything about this chat."""
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        await asyncio.to_thread(self._write, forget, chat_id)
        await self._reply(update, "Done: everything stored about this chat is deleted. /start to come back.")

    async def membership(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was blocked or removed from a chat: forget the chat."""
        change = update.my_chat_member
        if change and change.new_chat_member.status in ("kicked", "left"):
            await asyncio.to_thread(self._write, forget, change.chat.id)
            log.info("a chat blocked or removed the bot; its data was deleted")

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log handler errors without the message text or the user."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("handling update %s failed: %r", update_id, context.error)

    async def _topic_argument(self, update: Update, context: ContextTypes.DEFAULT_TYPE, verb: str):  # type: ignore[no-untyped-def]
        args = context.args or []
        topic = self.config.topic(args[0].lower()) if args else None
        if topic is None:
            asked = f"No topic <code>{escape(args[0])}</code>. " if args else ""
            await self._reply(update, f"{asked}Usage: /{verb} <i>topic</i>\n\n{self._topic_list([])}")
        return topic

    def _topic_list(self, mine: list[str]) -> str:
        if not self.config.topics:
            return "(no topics configured yet)"
        lines = []
        for topic in self.config.topics:
            mark = "✅" if topic.id in mine else "▫️"
            lines.append(f"{mark} <code>{escape(topic.id)}</code> — {escape(topic.label)}")
        return "\n".join(lines)

    def _topics_of(self, chat_id: int) -> list[str]:
        with self.store.session() as session:
            return topics_of(session, chat_id)

    def _write(self, action, *args):  # type: ignore[no-untyped-def]
        with self.store.session() as session:
            return action(session, *args)

    async def _reply(self, update: Update, html: str) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(html, parse_mode=ParseMode.HTML)
