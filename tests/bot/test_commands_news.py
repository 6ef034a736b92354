"""/latest and /search through the fake Bot API, over articles stored the way ingest stores them.

The "More results" button is a callback-query round trip: its data carries a short key and an
offset, never the words, and the words never reach a log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import pytest

from monitor.match import TopicMatch
from monitor.parse import FeedItem
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe
from tests.support.bot_runner import RunningBot, buttons
from tests.support.builders import topic_match
from tests.support.fake_telegram import FakeBotApi

CHAT = 7
PUBLISHED = datetime(2026, 11, 27, 6, 30, tzinfo=timezone.utc)


def stored(bot: RunningBot, articles: list[tuple[str, str | None]], source: str = "vlast") -> None:
    """(title, topic or None) articles, fetched now, with a hit for each topic given."""
    now = datetime.now(timezone.utc)
    with bot.store.session() as session:
        sync_sources(session, bot.live.current.sources, now)
        items = []
        for n, (title, topic) in enumerate(articles):
            matches = [TopicMatch(topic, topic_match(topic, "strike").matches)] if topic else []
            link = f"https://{source}.kz/news/{n}?a=1&b=2"
            items.append(MatchedItem(FeedItem(link, None, title, f"Summary of {title}.", PUBLISHED), matches))
        store_items(session, source, items, now)


def test_latest_shows_the_newest_hits_of_the_chats_topics_escaped(bot: RunningBot, store: Store) -> None:
    stored(bot, [("Oil workers strike in Aktau & <Zhanaozen>", "strikes"),
                 ("Activist arrested in Almaty", "arrests")])
    with store.session() as session:
        subscribe(session, CHAT, "strikes")

    reply = bot.command(CHAT, "/latest")

    assert reply["text"] == (
        "<b>Latest alerts</b>\n\n"
        '🔹 <a href="https://vlast.kz/news/0?a=1&amp;b=2">Oil workers strike in Aktau &amp; &lt;Zhanaozen&gt;</a>\n'
        f"<i>Strikes &amp; &lt;walkouts&gt;</i> · Vlast.kz · {reply['text'].rsplit(' · ', 1)[1]}")
    assert "arrested" not in reply["text"]  # not one of the chat's topics


def test_latest_for_one_topic_in_russian(bot: RunningBot) -> None:
    stored(bot, [("Strike one", "strikes"), ("Activist arrested", "arrests")])

    reply = bot.command(CHAT, "/latest arrests", "ru")

    assert reply["text"].startswith("<b>Последние уведомления</b>\n\n🔹 ")
    assert "Activist arrested" in reply["text"] and "Strike one" not in reply["text"]


def test_latest_keeps_to_five(bot: RunningBot) -> None:
    stored(bot, [(f"Strike number {n}", "strikes") for n in range(7)])

    assert bot.command(CHAT, "/latest strikes")["text"].count("🔹") == 5


@pytest.mark.parametrize(("command", "language_code", "reply"), [
    ("/latest", "kk", "Сіз әлі ешбір тақырыпқа жазылмағансыз. /topics арқылы таңдаңыз немесе "
                      "/latest <i>тақырып</i> деп жазыңыз."),
    ("/latest mangystau", "en", "Nothing found for these topics yet."),
    ("/latest <oil>", "en", "There is no topic <code>&lt;oil&gt;</code>.\nTopics: <code>strikes</code>, "
                            "<code>arrests</code>, <code>mangystau</code>"),
    ("/search", "ru", "Напишите, что искать, например <code>/search забастовка Актау</code>. "
                      "Дозор ищет по статьям за последние 30 дней."),
    ("/search nothing-like-this", "en", "Nothing found in the articles of the last 30 days."),
])
def test_nothing_to_show_is_said_plainly(bot: RunningBot, command: str, language_code: str, reply: str) -> None:
    assert bot.command(CHAT, command, language_code)["text"] == reply


def test_search_pages_through_results_with_the_more_button(
        bot: RunningBot, api: FakeBotApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stored(bot, [(f"Miners strike at pit {n}", None) for n in range(7)] + [("Weather in Astana", None)])

    first = bot.command(CHAT, "/search miners strike")

    assert first["text"].startswith("<b>Found</b>, 1–5:\n\n1. <a href=")
    assert first["text"].count('<a href="https://vlast.kz/news/') == 5
    assert "<i>Summary of Miners strike at pit" in first["text"]
    [(label, data)] = buttons(first)
    assert label == "More results"
    assert data.startswith("more:") and data.endswith(":5") and "miners" not in data.lower()
    assert len(data.encode()) <= 64

    bot.press(CHAT, data, first["message_id"])

    assert buttons(api.message(CHAT, first["message_id"])) == []  # the button moved on
    second = api.messages_to(CHAT)[-1]
    assert second["text"].startswith("<b>Found</b>, 6–7:\n\n6. <a href=")
    assert second["text"].count("<a href=") == 2 and buttons(second) == []
    links = [part.split('"')[1] for part in (first["text"] + second["text"]).split("<a href=")[1:]]
    assert len(set(links)) == 7  # no article twice, the weather never
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("bot", "monitor"))]
    assert not any("miners" in line.lower() for line in ours)


def test_a_more_button_the_bot_no_longer_remembers_asks_to_search_again(bot: RunningBot) -> None:
    message = bot.command(CHAT, "/help")

    answer = bot.press(CHAT, "more:unknown1:5", message["message_id"], "kk")

    assert answer == {"callback_query_id": answer["callback_query_id"], "show_alert": True,
                      "text": "Бұл іздеудің мерзімі өтті. /search командасын қайта жіберіңіз."}
