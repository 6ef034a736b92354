"""/digest, /quiet and /mute: how and when normal alerts arrive. Urgent topics ignore all three.

These handlers only store the chat's choice (monitor/store/subscribers.py); the sender holds
alerts and writes digests. Times are "HH:MM" in the config's timezone. Without an argument each
command shows the current setting and how to change it.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handler_base import Context, Gettext, Handlers, chat_id, group_admins_only, reply
from bot.prefs import local_time, parse_digest, parse_mute, parse_quiet
from monitor.store.subscribers import Choices, choices_of, set_digest, set_mute, set_quiet


class PrefsCommands(Handlers):
    """The delivery preferences of a chat."""

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(CommandHandler("digest", self.digest))
        app.add_handler(CommandHandler("quiet", self.quiet))
        app.add_handler(CommandHandler("mute", self.mute))

    @group_admins_only
    async def digest(self, update: Update, context: Context) -> None:
        """/digest off | hourly | daily HH:MM."""
        language, _ = await self.tr(update)
        usage = _("Write /digest off, /digest hourly or /digest daily HH:MM, for example "
                  "<code>/digest daily 08:30</code>.")
        typed = " ".join(context.args or [])
        if not typed:
            choices = await self._choices(update)
            await reply(update, f"{self._digest_state(_, choices.digest, choices.digest_at)}\n\n{usage}")
            return
        try:
            mode, at = parse_digest(typed)
        except ValueError:
            await reply(update, _("That is not a digest setting.") + " " + usage)
            return
        await self.db(set_digest, chat_id(update), mode, at, language=language)
        await reply(update, lines(self._digest_state(_, mode, at), self._urgent_note(_)))

    @group_admins_only
    async def quiet(self, update: Update, context: Context) -> None:
        """/quiet HH:MM-HH:MM | off."""
        language, _ = await self.tr(update)
        usage = _("Write /quiet HH:MM-HH:MM, for example <code>/quiet 23:00-07:00</code>; "
                  "/quiet off removes it.")
        typed = " ".join(context.args or [])
        if not typed:
            choices = await self._choices(update)
            await reply(update, f"{self._quiet_state(_, choices.quiet_from, choices.quiet_until)}\n\n{usage}")
            return
        try:
            window = parse_quiet(typed)
        except ValueError:
            await reply(update, _("That is not a time window.") + " " + usage)
            return
        start, end = window or (None, None)
        await self.db(set_quiet, chat_id(update), start, end, language=language)
        await reply(update, lines(self._quiet_state(_, start, end), self._urgent_note(_) if window else ""))

    @group_admins_only
    async def mute(self, update: Update, context: Context) -> None:
        """/mute 30m | 2h | 1d | off."""
        language, _ = await self.tr(update)
        usage = _("Write how long, for example <code>/mute 30m</code>, <code>/mute 2h</code> or "
                  "<code>/mute 1d</code> (30 days at most); /mute off ends it.")
        typed = " ".join(context.args or [])
        if not typed:
            choices = await self._choices(update)
            await reply(update, f"{self._mute_state(_, choices.muted_until)}\n\n{usage}")
            return
        try:
            length = parse_mute(typed)
        except ValueError:
            await reply(update, _("That is not a length of time.") + " " + usage)
            return
        until = self.clock() + length if length else None
        await self.db(set_mute, chat_id(update), until, language=language)
        await reply(update, lines(self._mute_state(_, until), self._urgent_note(_) if until else ""))

    async def _choices(self, update: Update) -> Choices:
        return await self.db(choices_of, chat_id(update)) or Choices(language=None)

    def _digest_state(self, _: Gettext, mode: str, at: str | None) -> str:
        if mode == "hourly":
            return _("Hourly digest: normal alerts arrive together, once an hour.")
        if mode == "daily" and at:
            return _("Daily digest: normal alerts arrive together every day at {time} ({zone}).").format(
                time=at, zone=escape(self.config.timezone))
        return _("Digest off: each alert arrives as soon as it is found.")

    def _quiet_state(self, _: Gettext, start: str | None, end: str | None) -> str:
        if not (start and end):
            return _("Quiet hours are off.")
        return _("Quiet hours: {start}–{end} every day ({zone}). Alerts found then wait and arrive "
                 "as one digest when the quiet hours end.").format(
            start=start, end=end, zone=escape(self.config.timezone))

    def _mute_state(self, _: Gettext, until: datetime | None) -> str:
        now = self.clock()
        if until is None or until <= now:
            return _("Not muted: alerts arrive as usual.")
        return _("Muted until {time} ({zone}). Alerts wait and arrive as one digest afterwards. "
                 "/mute off ends it now.").format(
            time=local_time(until, self.config.zone, now), zone=escape(self.config.timezone))

    def _urgent_note(self, _: Gettext) -> str:
        if not any(topic.priority == "urgent" for topic in self.config.topics):
            return ""
        return _("🚨 Urgent topics still arrive at once.")


def lines(*texts: str) -> str:
    """The non-empty texts, one per line."""
    return "\n".join(text for text in texts if text)
