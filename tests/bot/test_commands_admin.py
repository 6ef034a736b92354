"""Operator commands through the fake Bot API: /stats, /sources, /reload, and the refusal that
everyone not in telegram.admins gets instead (in their language, with nothing from the service).

The bot runs on a fixed clock here, so ages ("3 h ago") and "today" are exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.config import SourceConfig
from monitor.live_config import LiveConfig
from monitor.match import TopicMatch
from monitor.parse import FeedItem
from monitor.store import outbox
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.models import Delivery
from monitor.store.sources import Outcome, record_outcome, sync_sources
from monitor.store.subscribers import subscribe
from tests.bot.conftest import ADMIN, CONFIG
from tests.support.bot_runner import RunningBot
from tests.support.builders import topic_match
from tests.support.fake_telegram import FakeBotApi

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)  # 17:00 in Almaty
SUBSCRIBER = 7
REFUSALS = {
    "en": "Sorry, this command is only for the operators of this bot.",
    "ru": "Извините, эта команда только для операторов бота.",
    "kk": "Кешіріңіз, бұл команда тек бот операторларына арналған.",
}


@pytest.fixture
def bot(api: FakeBotApi, live: LiveConfig, store: Store) -> Iterator[RunningBot]:
    with RunningBot(api, live, store, clock=lambda: NOW) as running:
        yield running


def hits(store: Store, sources: list[SourceConfig], titles: list[str], at: datetime) -> None:
    with store.session() as session:
        sync_sources(session, sources, at)
        items = [MatchedItem(FeedItem(f"https://vlast.kz/{title}", None, title, "", at),
                             [TopicMatch("strikes", topic_match("strikes", "strike").matches)])
                 for title in titles]
        store_items(session, "vlast", items, at)


@pytest.mark.parametrize("command", ["/stats", "/sources", "/reload"])
@pytest.mark.parametrize("language_code", ["en", "ru", "kk"])
def test_anyone_not_an_operator_gets_a_polite_refusal_and_nothing_else(
        bot: RunningBot, api: FakeBotApi, config_file: Path, command: str, language_code: str) -> None:
    config_file.write_text(CONFIG.replace("Mangystau", "Changed"), encoding="utf-8")

    reply = bot.command(SUBSCRIBER, command, language_code)

    assert reply["text"] == REFUSALS[language_code]
    assert len(api.messages_to(SUBSCRIBER)) == 1
    assert bot.live.current.topic("mangystau").label == "Mangystau"  # type: ignore[union-attr]


def test_stats_counts_subscribers_topics_today_and_the_outbox(bot: RunningBot, store: Store) -> None:
    sources = bot.live.current.sources
    with store.session() as session:
        subscribe(session, 1, "strikes")
        subscribe(session, 1, "arrests")
        subscribe(session, 2, "strikes")
        subscribe(session, 3, "retired-topic")
    hits(store, sources, ["Strike yesterday"], NOW - timedelta(days=1))  # 2 alerts, both owed
    hits(store, sources, ["Strike one", "Strike two"], NOW - timedelta(hours=1))  # 4 more
    with store.session() as session:
        first, second, *_ = session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
        outbox.mark_sent(session, first, NOW - timedelta(minutes=5))
        outbox.mark_failed(session, second, "400 Bad Request")

    reply = bot.command(ADMIN, "/stats")

    assert reply["text"] == (
        "<b>Dozor today</b> (Asia/Almaty)\n"
        "Subscribers: 3\n"
        "Subscriptions by topic:\n"
        "• <code>arrests</code> — 1\n"
        "• <code>mangystau</code> — 0\n"
        "• <code>retired-topic</code> — 1\n"
        "• <code>strikes</code> — 2\n"
        "Hits today: 2; alerts sent today: 1\n"
        "Deliveries pending: 4; failed: 1")


def test_stats_in_kazakh(bot: RunningBot) -> None:
    bot.command(ADMIN, "/lang kk")

    reply = bot.command(ADMIN, "/stats")

    assert reply["text"].startswith("<b>Дозор бүгін</b> (Asia/Almaty)\nЖазылушылар: 1\n")
    assert "Жіберуді күтуде: 0; жеткізілмеді: 0" in reply["text"]


def test_sources_lists_problems_first_with_their_last_error(bot: RunningBot, store: Store) -> None:
    sources = bot.live.current.sources
    hits(store, sources, ["Strike"], NOW - timedelta(hours=1))
    with store.session() as session:
        record_outcome(session, "vlast", Outcome(new_items=1), timedelta(minutes=10), NOW - timedelta(hours=1))
        for hours in (5, 4, 3):
            record_outcome(session, "orda", Outcome(error="HTTP 503 <Service Unavailable>"),
                           timedelta(minutes=10), NOW - timedelta(hours=hours), pause_after=3)

    reply = bot.command(ADMIN, "/sources")

    assert reply["text"] == (
        "<b>Sources</b>: 2 watched, 1 fine, 1 with problems.\n\n"
        "<b>orda</b> — ⏸ paused after 3 failures\n"
        "last success: never\n"
        "last error 3 h ago: HTTP 503 &lt;Service Unavailable&gt;\n\n"
        "Fine (new items in 24 h): vlast (1)\n\n"
        "Resume a paused source on the server: <code>dozor resume ID</code>")


def test_sources_in_russian(bot: RunningBot, store: Store) -> None:
    with store.session() as session:
        sync_sources(session, bot.live.current.sources, NOW)
        record_outcome(session, "orda", Outcome(error="timeout"), timedelta(minutes=10), NOW - timedelta(minutes=20))

    reply = bot.command(ADMIN, "/sources", "ru")

    assert reply["text"].startswith("<b>Источники</b>: отслеживается 2, в порядке 1, с проблемами 1.\n\n"
                                    "<b>orda</b> — ⚠️ ошибки (подряд: 1)\nпоследний успех: никогда\n"
                                    "последняя ошибка 20 мин назад: timeout")


def test_reload_swaps_in_a_valid_edit_and_the_bot_uses_it(bot: RunningBot, config_file: Path) -> None:
    assert bot.command(ADMIN, "/reload")["text"] == (
        f"Config unchanged: version {bot.live.version} is running.")
    config_file.write_text(CONFIG.replace("title: Mangystau", "title: Mangystau region"), encoding="utf-8")

    reply = bot.command(ADMIN, "/reload")

    assert reply["text"] == f"Config reloaded: version {bot.live.version} is running."
    assert ("▫️ Mangystau region", "t:mangystau") in [
        (b["text"], b["callback_data"]) for row in bot.command(ADMIN, "/topics")["reply_markup"]["inline_keyboard"]
        for b in row]


def test_reload_of_an_invalid_edit_reports_the_line_and_keeps_the_running_config(
        bot: RunningBot, config_file: Path) -> None:
    running = bot.live.version
    config_file.write_text(CONFIG.replace("    any: [Aktau]", "    anyy: [Aktau]"), encoding="utf-8")

    reply = bot.command(ADMIN, "/reload", "ru")

    assert reply["text"].startswith(
        f"Конфигурация не перечитана: продолжает работать версия {running}. Исправьте файл и снова "
        "отправьте /reload.\n<pre>config.yaml:19 topics[2].any: required key is missing\n"
        "config.yaml:21 topics[2].anyy: unknown key (did you mean 'any'?)")
    assert reply["text"].endswith("</pre>")
    assert bot.live.version == running and bot.live.current.topic("mangystau") is not None
