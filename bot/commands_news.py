"""/latest and /search: what Dozor found, read back from the store.

A search's words stay in the chat's memory (`context.chat_data`, never on disk, never in a log),
under a short random key that the "More results" button carries with the next offset. After a
restart the key is unknown and the button says so. Titles and snippets are scraped text: escaped.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from datetime import datetime
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.handler_base import Context, Gettext, Handlers, chat_id, clip, edit_markup, reply
from bot.keyboards import MORE_PREFIX, more_keyboard
from bot.prefs import local_time
from monitor.store.search import FoundArticle, LatestHit, latest_hits, search_articles
from monitor.store.subscribers import topics_of

PAGE = 5
LATEST = 5
SEARCH_DAYS = 30
MAX_QUERY = 200  # characters of search words kept; the store uses the first few words anyway
REMEMBERED_SEARCHES = 5  # per chat, for their "More results" buttons
MAX_TITLE, MAX_SNIPPET = 200, 200


class NewsCommands(Handlers):
    """Reading back hits and articles."""

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        app.add_handler(CommandHandler("latest", self.latest))
        app.add_handler(CommandHandler("search", self.search))
        app.add_handler(CallbackQueryHandler(self.more, pattern=f"^{MORE_PREFIX}"))

    async def latest(self, update: Update, context: Context) -> None:
        """/latest [topic]: the newest hits of the chat's topics, or of one topic."""
        _lang, _ = await self.tr(update)
        args = context.args or []
        if args:
            topic = self.config.topic(args[0].lower())
            if topic is None:
                ids = ", ".join(f"<code>{escape(t.id)}</code>" for t in self.config.topics)
                await reply(update, _("There is no topic <code>{topic}</code>.").format(topic=escape(args[0]))
                            + "\n" + _("Topics: {ids}").format(ids=ids or "—"))
                return
            topic_ids = [topic.id]
        else:
            topic_ids = await self.db(topics_of, chat_id(update))
            if not topic_ids:
                await reply(update, _("You follow no topics yet. Choose some with /topics, or write "
                                      "/latest <i>topic</i>."))
                return
        hits = await self.db(latest_hits, topic_ids, limit=LATEST)
        if not hits:
            await reply(update, _("Nothing found for these topics yet."))
            return
        await reply(update, "\n\n".join([_("<b>Latest alerts</b>")] + [self._hit_html(hit, _) for hit in hits]))

    async def search(self, update: Update, context: Context) -> None:
        """/search <words>: stored articles of the last 30 days, best first, a page at a time."""
        _lang, _ = await self.tr(update)
        words = " ".join(context.args or [])[:MAX_QUERY].strip()
        if not words:
            await reply(update, _("Write what to look for, for example <code>/search strike Aktau</code>. "
                                  "Dozor searches the articles of the last 30 days."))
            return
        key = remember(context.chat_data, words)
        await self._page(update, _, words, key, 0)

    async def more(self, update: Update, context: Context) -> None:
        """The "More results" button: the next page, as a new message."""
        query = update.callback_query
        assert query is not None and query.data is not None
        _lang, _ = await self.tr(update)
        key, _sep, offset = query.data.removeprefix(MORE_PREFIX).partition(":")
        words = (context.chat_data or {}).get("searches", {}).get(key)
        await edit_markup(update, None)  # the button moves to the next page, or goes
        if words is None or not offset.isdigit():
            await query.answer(_("This search has expired. Please send /search again."), show_alert=True)
            return
        await self._page(update, _, words, key, int(offset))
        await query.answer()

    async def _page(self, update: Update, _: Gettext, words: str, key: str, offset: int) -> None:
        found = await self.db(search_articles, words, self.clock(), days=SEARCH_DAYS, offset=offset,
                              limit=PAGE + 1)
        if not found:
            await reply(update, _("No more results.") if offset else
                        _("Nothing found in the articles of the last 30 days."))
            return
        page = found[:PAGE]
        header = _("<b>Found</b>, {first}–{last}:").format(first=offset + 1, last=offset + len(page))
        items = [self._article_html(offset + n, article) for n, article in enumerate(page, start=1)]
        markup = more_keyboard(_, key, offset + PAGE) if len(found) > PAGE else None
        await reply(update, "\n\n".join([header, *items]), markup)

    def _hit_html(self, hit: LatestHit, _: Gettext) -> str:
        topic = self.config.topic(hit.topic_id)
        label = topic.label if topic else hit.topic_id
        title = hit.title or _("(no title)")
        return (f"🔹 {link(hit.url, title)}\n"
                f"<i>{escape(label)}</i> · {escape(hit.source_name)} · {self._when(hit.found_at)}")

    def _article_html(self, number: int, article: FoundArticle) -> str:
        when = self._when(article.published_at or article.fetched_at)
        text = f"{number}. {link(article.url, article.title or article.url)}\n{escape(article.source_name)} · {when}"
        if article.snippet:
            text += f"\n<i>{escape(clip(article.snippet, MAX_SNIPPET))}</i>"
        return text

    def _when(self, moment: datetime) -> str:
        return local_time(moment, self.config.zone, self.clock())


def link(url: str, title: str) -> str:
    """The title as a link; scraped URLs that are not http(s) stay plain text."""
    text = escape(clip(title, MAX_TITLE))
    if not url.startswith(("http://", "https://")):
        return f"<b>{text}</b>"
    return f'<a href="{escape(url, quote=True)}">{text}</a>'


def remember(chat_data: MutableMapping[Any, Any] | None, words: str) -> str:
    """Keep a search's words for its "More results" button; returns the button's key."""
    key = secrets.token_urlsafe(6)
    if chat_data is None:
        return key
    searches: dict[str, str] = chat_data.setdefault("searches", {})
    searches[key] = words
    for old in list(searches)[:-REMEMBERED_SEARCHES]:
        del searches[old]
    return key
