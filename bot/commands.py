"""Subscriber commands: /start, /topics, /subscribe, /unsubscribe, /lang, /stop, /help, and the
topic, language and /stop buttons. `Commands(live, store).install(app)` installs every handler,
including /digest, /quiet, /mute (bot/commands_prefs.py), /latest, /search (bot/commands_news.py)
and the operators' /stats, /sources, /reload (bot/commands_admin.py).

Handlers only talk to the store (in a worker thread) and reply in the chat's language. They never
log what a chat wrote or who the user is: subscribers may be at risk.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Bot, BotCommand, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler

from bot.commands_admin import AdminCommands
from bot.commands_news import NewsCommands
from bot.commands_prefs import PrefsCommands
from bot.handler_base import Context, Gettext, Handlers, chat_id, edit_markup, edit_text, group_admins_only, reply
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translator
from bot.keyboards import (
    LANG_PREFIX,
    STOP_NO,
    STOP_YES,
    TOPIC_PREFIX,
    language_keyboard,
    stop_keyboard,
    topic_for_key,
    topics_keyboard,
)
from monitor.config import TopicConfig
from monitor.store.subscribers import (
    choices_of,
    forget,
    set_language,
    subscribe,
    toggle,
    topics_of,
    unsubscribe,
)

log = logging.getLogger(__name__)

HELP = (
    N_("/topics — choose topics (tap to follow or stop)"),
    N_("/latest [topic] — the last 5 alerts"),
    N_("/search words — articles of the last 30 days"),
    N_("/digest off | hourly | daily HH:MM — alerts gathered into one message"),
    N_("/quiet HH:MM-HH:MM — quiet hours every day; /quiet off"),
    N_("/mute 2h — pause alerts for a while; /mute off"),
    N_("/lang ru | kk | en — the bot's language"),
    N_("/subscribe topic, /unsubscribe topic — the same as the buttons"),
    N_("/stop — delete everything stored about this chat"),
    N_("/help — this list"),
)
LANGUAGE_SET = N_("Done: I will write to you in English.")
ADMIN_HELP = (
    N_("/stats — subscribers, alerts today, the outbox"),
    N_("/sources — failing, paused and silent sources"),
    N_("/reload — read config.yaml again"),
)


def menu(language: str) -> list[BotCommand]:
    """The command menu Telegram shows next to the text box, from the /help lines."""
    _ = translator(language)
    commands = []
    for line in HELP:
        usage, _sep, description = _(line).partition(" — ")
        if "," not in usage:  # "/subscribe topic, /unsubscribe topic": the buttons do that
            commands.append(BotCommand(usage.split()[0].removeprefix("/"), description))
    return commands


async def publish_menus(bot: Bot) -> None:
    """Register the menu in each language, and English for any other app language."""
    for language in LANGUAGES:
        await bot.set_my_commands(menu(language), language_code=language)
    await bot.set_my_commands(menu(DEFAULT_LANGUAGE))


class Commands(Handlers):
    """The bot's handlers, bound to the config and store they read."""

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        for name, handler in (("start", self.start), ("help", self.help), ("topics", self.topics),
                              ("subscribe", self.subscribe), ("unsubscribe", self.unsubscribe),
                              ("lang", self.lang), ("stop", self.stop)):
            app.add_handler(CommandHandler(name, handler))
        app.add_handler(CallbackQueryHandler(self.toggle_topic, pattern=f"^{TOPIC_PREFIX}"))
        app.add_handler(CallbackQueryHandler(self.choose_language, pattern=f"^{LANG_PREFIX}"))
        app.add_handler(CallbackQueryHandler(self.confirm_stop, pattern=f"^({STOP_YES}|{STOP_NO})$"))
        for group in (PrefsCommands, NewsCommands, AdminCommands):
            group(self.live, self.store, self.clock).install(app)
        app.add_handler(ChatMemberHandler(self.membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.error)

    async def start(self, update: Update, _context: Context) -> None:
        """Welcome, the privacy note and the topics as buttons."""
        _lang, _ = await self.tr(update)
        mine = await self.db(topics_of, chat_id(update))
        text = "\n\n".join((
            _("<b>Dozor</b> watches the news and writes to you when a topic you follow comes up."),
            _("🔒 Dozor stores only this chat's id and your choices (topics, language, digest, "
              "quiet hours).\n/stop deletes all of it at once."),
            self._topics_text(_),
        ))
        await reply(update, text, self._keyboard(mine))

    async def topics(self, update: Update, _context: Context) -> None:
        """The topics as buttons that follow or stop a topic."""
        _lang, _ = await self.tr(update)
        mine = await self.db(topics_of, chat_id(update))
        await reply(update, self._topics_text(_), self._keyboard(mine))

    @group_admins_only
    async def toggle_topic(self, update: Update, _context: Context) -> None:
        """A topic button: follow or stop following, then tick the keyboard to match."""
        query = update.callback_query
        assert query is not None and query.data is not None
        language, _ = await self.tr(update)
        topic = topic_for_key(self.config, query.data.removeprefix(TOPIC_PREFIX))
        if topic is None:  # removed from config.yaml since the keyboard was sent
            await edit_markup(update, self._keyboard(await self.db(topics_of, chat_id(update))))
            await query.answer(_("This topic is no longer watched."))
            return
        following = await self.db(toggle, chat_id(update), topic.id, language)
        await edit_markup(update, self._keyboard(await self.db(topics_of, chat_id(update))))
        notice = _("Following: {topic}") if following else _("No longer following: {topic}")
        await query.answer(notice.format(topic=topic.label)[:200])

    @group_admins_only
    async def subscribe(self, update: Update, context: Context) -> None:
        """/subscribe <topic>, the typed twin of a topic button."""
        language, _ = await self.tr(update)
        topic = await self._topic_argument(update, context, _)
        if topic is None:
            return
        added = await self.db(subscribe, chat_id(update), topic.id, language)
        text = _("Following <b>{topic}</b>.") if added else _("You already follow <b>{topic}</b>.")
        stop_hint = _("/unsubscribe {id} stops it.").format(id=escape(topic.id))
        await reply(update, f"{text.format(topic=escape(topic.label))} {stop_hint}")

    @group_admins_only
    async def unsubscribe(self, update: Update, context: Context) -> None:
        """/unsubscribe <topic>."""
        _lang, _ = await self.tr(update)
        topic = await self._topic_argument(update, context, _)
        if topic is None:
            return
        removed = await self.db(unsubscribe, chat_id(update), topic.id)
        text = _("No longer following <b>{topic}</b>.") if removed else _("You did not follow <b>{topic}</b>.")
        await reply(update, text.format(topic=escape(topic.label)))

    @group_admins_only
    async def lang(self, update: Update, context: Context) -> None:
        """/lang ru | kk | en; without a valid code, the three as buttons."""
        _lang, _ = await self.tr(update)
        wanted = (context.args or [""])[0].lower()
        if wanted not in LANGUAGES:
            await reply(update, _("Choose the bot's language:"), language_keyboard())
            return
        await self.db(set_language, chat_id(update), wanted)
        await reply(update, translator(wanted)(LANGUAGE_SET))

    @group_admins_only
    async def choose_language(self, update: Update, _context: Context) -> None:
        """A language button."""
        query = update.callback_query
        assert query is not None and query.data is not None
        wanted = query.data.removeprefix(LANG_PREFIX)
        if wanted not in LANGUAGES:
            await query.answer()
            return
        await self.db(set_language, chat_id(update), wanted)
        await edit_text(update, escape(translator(wanted)(LANGUAGE_SET)))
        await query.answer()

    @group_admins_only
    async def stop(self, update: Update, _context: Context) -> None:
        """Ask before deleting everything about this chat."""
        _lang, _ = await self.tr(update)
        if await self.db(choices_of, chat_id(update)) is None:
            await reply(update, _("Dozor stores nothing about this chat."))
            return
        await reply(update, _("Delete everything Dozor stores about this chat: your topics, language "
                              "and settings? This cannot be undone."), stop_keyboard(_))

    @group_admins_only
    async def confirm_stop(self, update: Update, context: Context) -> None:
        """The /stop buttons: delete everything, or nothing."""
        query = update.callback_query
        assert query is not None
        _lang, _ = await self.tr(update)  # before forgetting: the chosen language goes with it
        if query.data == STOP_YES:
            await self.db(forget, chat_id(update))
            if context.chat_data is not None:
                context.chat_data.clear()  # remembered searches
            await edit_text(update, _("Done: everything stored about this chat is deleted. "
                                       "Send /start to come back."))
        else:
            await edit_text(update, _("Nothing was deleted."))
        await query.answer()

    async def help(self, update: Update, _context: Context) -> None:
        """The command list (and the operators' commands, to operators)."""
        _lang, _ = await self.tr(update)
        lines = [_("<b>Commands</b>")] + [escape(_(line)) for line in HELP]
        if self.is_admin(update):
            lines += ["", _("<b>Operator commands</b>")] + [escape(_(line)) for line in ADMIN_HELP]
        await reply(update, "\n".join(lines))

    async def membership(self, update: Update, _context: Context) -> None:
        """The bot was blocked or removed from a chat: forget the chat."""
        change = update.my_chat_member
        if change and change.new_chat_member.status in ("kicked", "left"):
            await self.db(forget, change.chat.id)
            log.info("a chat blocked or removed the bot; its data was deleted")

    async def error(self, update: object, context: Context) -> None:
        """Log handler errors without the message text or the user, then say sorry."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("handling update %s failed: %r", update_id, context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            _lang, _ = await self.tr(update)
            await reply(update, _("Sorry, something went wrong on Dozor's side. Please try again later."))
        except Exception as exc:  # the store or Telegram may be what failed
            log.warning("could not tell the chat about the error (update %s): %r", update_id, exc)

    async def _topic_argument(self, update: Update, context: Context, _: Gettext) -> TopicConfig | None:
        args = context.args or []
        topic = self.config.topic(args[0].lower()) if args else None
        if topic is None:
            asked = (_("There is no topic <code>{topic}</code>.").format(topic=escape(args[0])) + " "
                     if args else "")
            mine = await self.db(topics_of, chat_id(update))
            await reply(update, asked + _("Tap a topic below to follow it or stop."), self._keyboard(mine))
        return topic

    def _topics_text(self, _: Gettext) -> str:
        if not self.config.topics:
            return _("No topics are set up yet. The operators add them to the config.")
        text = _("<b>Topics.</b> Tap one to follow it or stop: ✅ followed, ▫️ not.")
        if any(topic.priority == "urgent" for topic in self.config.topics):
            text += "\n" + _("🚨 Urgent: arrives at once, even in quiet hours and digests.")
        return text + "\n" + _("/help lists all commands.")

    def _keyboard(self, mine: list[str]) -> InlineKeyboardMarkup | None:
        return topics_keyboard(self.config.topics, mine) if self.config.topics else None
