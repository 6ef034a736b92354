"""Operator commands: /stats, /sources, /reload — only for the chat ids in `telegram.admins`.

Anyone else gets a polite refusal that says nothing about the service. /sources shows what
`dozor sources` shows, problems first: paused, failing, broken (a crawled site that yields no
articles), silent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import wraps
from html import escape

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handler_base import MAX_TEXT, Context, Gettext, Handlers, clip, reply
from monitor.store.models import Source
from monitor.store.sources import all_sources, items_since
from monitor.store.stats import Stats, gather

Handler = Callable[["AdminCommands", Update, Context], Awaitable[None]]
MAX_ERROR = 1500  # characters of a config error shown in the chat


def operators_only(handler: Handler) -> Handler:
    """Refuse (politely, in the chat's language) anyone not in telegram.admins."""

    @wraps(handler)
    async def guarded(self: AdminCommands, update: Update, context: Context) -> None:
        if not self.is_admin(update):
            _lang, _ = await self.tr(update)
            await reply(update, _("Sorry, this command is only for the operators of this bot."))
            return
        await handler(self, update, context)

    return guarded


class AdminCommands(Handlers):
    """What operators ask the running service."""

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(CommandHandler("stats", self.stats))
        app.add_handler(CommandHandler("sources", self.sources))
        app.add_handler(CommandHandler("reload", self.reload))

    @operators_only
    async def stats(self, update: Update, _context: Context) -> None:
        """Subscribers, subscriptions per topic, today's hits and alerts, the outbox."""
        _lang, _ = await self.tr(update)
        now = self.clock()
        midnight = now.astimezone(self.config.zone).replace(hour=0, minute=0, second=0, microsecond=0)
        counts = await self.db(gather, midnight)
        await reply(update, self._stats_html(_, counts))

    @operators_only
    async def sources(self, update: Update, _context: Context) -> None:
        """Source health, problems first."""
        _lang, _ = await self.tr(update)
        now = self.clock()
        rows, recent = await self.db(_health, now)
        await reply(update, self._sources_html(_, rows, recent, now))

    @operators_only
    async def reload(self, update: Update, _context: Context) -> None:
        """Read config.yaml again; a bad edit is reported and the running config kept."""
        _lang, _ = await self.tr(update)
        result = await asyncio.to_thread(self.live.reload)
        if result.error:
            text = _("Config not reloaded: the running version {version} stays. Fix the file and "
                     "send /reload again.").format(version=escape(result.version))
            await reply(update, f"{text}\n<pre>{escape(clip_lines(result.error, MAX_ERROR), quote=False)}</pre>")
        elif result.changed:
            await reply(update, _("Config reloaded: version {version} is running.").format(
                version=escape(result.version)))
        else:
            await reply(update, _("Config unchanged: version {version} is running.").format(
                version=escape(result.version)))

    def _stats_html(self, _: Gettext, counts: Stats) -> str:
        per_topic = dict.fromkeys((topic.id for topic in self.config.topics), 0) | counts.subscriptions
        lines = [_("<b>Dozor today</b> ({zone})").format(zone=escape(self.config.timezone)),
                 _("Subscribers: {n}").format(n=counts.subscribers), _("Subscriptions by topic:")]
        lines += [f"• <code>{escape(topic_id)}</code> — {n}" for topic_id, n in sorted(per_topic.items())]
        lines += [_("Hits today: {hits}; alerts sent today: {alerts}").format(
                      hits=counts.hits_since, alerts=counts.alerts_since),
                  _("Deliveries pending: {pending}; failed: {failed}").format(
                      pending=counts.deliveries.get("pending", 0), failed=counts.deliveries.get("failed", 0))]
        return "\n".join(lines)

    def _sources_html(self, _: Gettext, rows: list[Source], recent: dict[str, int], now: datetime) -> str:
        configured = {source.id for source in self.config.sources}
        watched = [row for row in rows if row.active and row.id in configured]
        problems = [row for row in watched
                    if row.paused_at or row.consecutive_failures or row.silent_since or row.broken_since]
        healthy = [row for row in watched if row not in problems]
        lines = [_("<b>Sources</b>: {total} watched, {ok} fine, {bad} with problems.").format(
            total=len(watched), ok=len(healthy), bad=len(problems))]
        for row in sorted(problems, key=lambda r: (r.paused_at is None, -r.consecutive_failures, r.id)):
            lines.append(self._problem_html(_, row, now))
        if healthy:
            fine = ", ".join(f"{escape(row.id)} ({recent.get(row.id, 0)})" for row in healthy)
            lines.append(_("Fine (new items in 24 h): {sources}").format(sources=fine))
        if any(row.paused_at for row in problems):
            lines.append(_("Resume a paused source on the server: <code>dozor resume ID</code>"))
        return clip_lines("\n\n".join(lines), MAX_TEXT)

    def _problem_html(self, _: Gettext, row: Source, now: datetime) -> str:
        if row.paused_at:
            state = _("⏸ paused after {n} failures").format(n=row.consecutive_failures)
        elif row.consecutive_failures:
            state = _("⚠️ failing ({n} in a row)").format(n=row.consecutive_failures)
        elif row.broken_since:
            state = _("🧩 broken for {time}: the site is read but no articles are found").format(
                time=span(_, now - row.broken_since))
        else:
            state = _("🔇 silent for {time}").format(time=span(_, now - (row.silent_since or now)))
        lines = [f"<b>{escape(row.id)}</b> — {state}"]
        lines.append(_("last success: {ago}").format(ago=ago(_, row.last_success_at, now)))
        if row.consecutive_failures and row.last_error:
            lines.append(_("last error {ago}: {error}").format(
                ago=ago(_, row.last_error_at, now), error=escape(clip(row.last_error, 200))))
        if row.broken_since and row.broken_reason:
            lines.append(escape(clip(row.broken_reason, 200)))
        if row.silent_since:
            lines.append(_("last new item: {ago}").format(ago=ago(_, row.last_new_item_at, now)))
        return "\n".join(lines)


def _health(session: Session, now: datetime) -> tuple[list[Source], dict[str, int]]:
    return all_sources(session), items_since(session, now - timedelta(hours=24))


def ago(_: Gettext, when: datetime | None, now: datetime) -> str:
    if when is None:
        return _("never")
    return _("{time} ago").format(time=span(_, now - when))


def span(_: Gettext, length: timedelta) -> str:
    """The largest whole unit: "3 d", "5 h", "12 min", "40 s"."""
    seconds = max(int(length.total_seconds()), 0)
    for size, unit in ((86400, _("{n} d")), (3600, _("{n} h")), (60, _("{n} min"))):
        if seconds >= size:
            return unit.format(n=seconds // size)
    return _("{n} s").format(n=seconds)


def clip_lines(text: str, limit: int) -> str:
    """Whole lines of `text` up to `limit` characters, "…" when some were left out."""
    if len(text) <= limit:
        return text
    kept = text[:limit].rsplit("\n", 1)[0]
    return kept + "\n…"
