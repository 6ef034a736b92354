"""Alert delivery against the fake Bot API over HTTP: the real TelegramSender, every failure
issue 5 names, and nothing lost.

Most tests run the sender on its own event loop in a thread (`RunningSender`), ticking like the
service's scheduler; the test thread waits on the fake's records (`api.wait_for`), never sleeps.
The last two run the real service (`dozor run`) as a subprocess: one is killed mid-send, one sees
the same link in two feeds. The fake refuses what Telegram refuses: unparsable HTML and messages
over 4096 characters.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import Config
from monitor.match import Snippet, TopicMatch
from monitor.parse import FeedItem
from monitor.store import outbox
from monitor.store.article_sources import note_sources
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.models import Delivery, Subscriber, Subscription
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe, topics_of
from tests.support.builders import topic_match
from tests.support.delivery import RunningSender
from tests.support.fake_telegram import FakeBotApi
from tests.support.telegram_html import visible_text

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
PUBLISHED = datetime(2026, 11, 27, 6, 30, tzinfo=timezone.utc)


def config_for(api: FakeBotApi, **telegram: object) -> Config:
    return Config.model_validate({
        "telegram": {"base_url": api.base_url, **telegram},
        "sources": [{"id": "vlast", "name": "Vlast.kz", "feed": "https://vlast.kz/rss"},
                    {"id": "orda", "name": "Orda.kz", "feed": "https://orda.kz/rss"}],
        "topics": [{"id": "strikes", "title": "Strikes & walkouts", "any": ["strike"]}],
    })


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(token=TOKEN) as fake:
        yield fake


def owe(store: Store, config: Config, chats: list[int], titles: list[str], source: str = "vlast",
        snippet: Snippet | None = None, url: str = "https://vlast.kz/news/{n}?a=1&b=2") -> list[str]:
    """Articles stored as ingest stores them (article, hit, a row per subscribed chat); their URLs."""
    now = datetime.now(timezone.utc)
    urls = [url.format(n=n) for n in range(len(titles))]
    with store.session() as session:
        sync_sources(session, config.sources, now)
        for chat in chats:
            subscribe(session, chat, "strikes")
        items = [MatchedItem(FeedItem(link, None, title, "", PUBLISHED),
                             [TopicMatch("strikes", topic_match("strikes", "strike").matches, snippet)])
                 for link, title in zip(urls, titles)]
        store_items(session, source, items, now)
    return urls


def alerts(api: FakeBotApi, chat: int) -> list[dict]:
    return api.messages_to(chat)


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return outbox.counts(session)


def test_a_429_pauses_all_sending_for_retry_after_and_loses_nothing(store, api):
    config = config_for(api)
    owe(store, config, [1, 2], ["Strike one", "Strike two"])
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    with RunningSender(config, store) as sender:
        api.wait_for(lambda: len(api.sent) == 4)

    sample = sender.metrics.registry.get_sample_value
    assert sample("dozor_telegram_429_total") == 1
    assert sample("dozor_deliveries_total", {"outcome": "retry"}) == 1
    assert sample("dozor_deliveries_total", {"outcome": "sent"}) == 4
    assert sample("dozor_delivery_latency_seconds_count") == 4
    [refused] = api.failures
    assert refused["status"] == 429
    assert min(m["time"] for m in api.sent) - refused["time"] >= 1.0  # nothing during the pause
    assert [m["text"].split("\n")[1] for m in alerts(api, refused["chat_id"])] == [
        "<b>Strike one</b>", "<b>Strike two</b>"]
    assert counts(store) == {"sent": 4}


def test_a_chat_that_blocked_the_bot_is_forgotten_and_the_others_get_their_alerts(store, api):
    config = config_for(api)
    owe(store, config, [1, 2, 3], ["Strike one", "Strike two"])
    api.block_bot(2)  # every send to chat 2 is now 403 Forbidden

    with RunningSender(config, store) as sender:
        api.wait_for(lambda: len(alerts(api, 1)) == 2 and len(alerts(api, 3)) == 2)

    assert [f["chat_id"] for f in api.failures] == [2]  # tried once, then forgotten
    assert sender.metrics.registry.get_sample_value("dozor_deliveries_total", {"outcome": "gone"}) == 1
    assert alerts(api, 2) == []
    with store.session() as session:
        for table in (Subscriber, Subscription, Delivery):
            assert session.scalar(select(func.count()).select_from(table).where(table.chat_id == 2)) == 0
        assert outbox.counts(session) == {"sent": 4}


def test_a_chat_member_update_saying_the_bot_was_blocked_forgets_the_chat(store, api):
    config = config_for(api)
    owe(store, config, [5, 6], [])

    with RunningSender(config, store, commands=True):
        api.wait_for(lambda: api.polling, what="the bot to poll")
        api.block_bot(5)  # my_chat_member: new status "kicked"
        api.send_command(6, "/help")  # handled after the block: updates are handled in order
        api.wait_for(lambda: api.messages_to(6))

    with store.session() as session:
        for table in (Subscriber, Subscription):
            assert [row.chat_id for row in session.scalars(select(table))] == [6]


def test_html_telegram_cannot_parse_is_resent_as_plain_text(store, api):
    config = config_for(api)
    owe(store, config, [1], ["Oil workers strike in Aktau"])
    api.fail("sendMessage", 400, 'Bad Request: can\'t parse entities: Unsupported start tag "x" at '
             "byte offset 3", chat_id=1)

    with RunningSender(config, store):
        [plain] = api.wait_for(lambda: alerts(api, 1))

    assert plain["parse_mode"] is None
    assert plain["text"].startswith("🔔 Strikes & walkouts\nOil workers strike in Aktau\nVlast.kz · ")
    assert plain["text"].endswith("https://vlast.kz/news/0?a=1&b=2")
    assert counts(store) == {"sent": 1}


def test_502_for_a_while_then_recovery_delivers_everything_in_order_without_hammering(store, api):
    config = config_for(api, max_retry_delay="1s")
    titles = ["Strike one", "Strike two", "Strike three"]

    with RunningSender(config, store) as sender:
        assert sender.connected.wait(10)
        api.set_down("502")
        owe(store, config, [1, 2], titles)
        api.wait_for(lambda: len(api.failures) >= 3)
        api.set_down(None)
        api.wait_for(lambda: len(api.sent) == 6, timeout=15)

    assert {f["method"] for f in api.failures} == {"sendMessage"}
    outage = [f["time"] for f in api.failures]
    assert all(later - earlier >= 0.9 for earlier, later in zip(outage, outage[1:]))  # backed off
    for chat in (1, 2):
        assert [m["text"].split("\n")[1] for m in alerts(api, chat)] == [f"<b>{t}</b>" for t in titles]
    with store.session() as session:
        assert outbox.counts(session) == {"sent": 6}
        assert outbox.possible_repeats(session) == 0  # a 502 is an answer: nothing went out


def test_telegram_down_when_the_sender_starts_delays_alerts_but_stops_nothing(store, api):
    config = config_for(api, max_retry_delay="1s")
    owe(store, config, [1], ["Strike one"])
    api.set_down("502")

    with RunningSender(config, store) as sender:
        api.wait_for(lambda: len(api.failures) >= 2)  # getMe, retried with back-off
        assert not sender.connected.is_set()
        api.set_down(None)
        api.wait_for(lambda: alerts(api, 1))

    assert {f["method"] for f in api.failures} == {"getMe"}
    assert counts(store) == {"sent": 1}


def test_a_group_that_became_a_supergroup_moves_to_its_new_id_with_its_topics_and_alerts(store, api):
    """The first alert takes the detour (Telegram names the new id); the subscription and the
    alerts still owed move there, so the next ones go straight to the supergroup."""
    config = config_for(api)
    owe(store, config, [-100], ["Strike one", "Strike two", "Strike three"])
    # Telegram answers every message to the old id this way, for good.
    api.fail("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat", chat_id=-100,
             migrate_to_chat_id=-1001, times=1000)

    with RunningSender(config, store):
        api.wait_for(lambda: len(alerts(api, -1001)) == 3)

    assert counts(store) == {"sent": 3}
    assert [c["chat_id"] for c in api.failures] == [-100]  # one detour, not one per alert
    with store.session() as session:
        assert topics_of(session, -1001) == ["strikes"]
        assert session.get(Subscriber, -100) is None


def test_one_chat_gets_at_most_one_message_a_second(store, api):
    config = config_for(api)
    owe(store, config, [1], ["Strike one", "Strike two", "Strike three"])

    with RunningSender(config, store):
        api.wait_for(lambda: len(api.sent) == 3, timeout=10)

    times = [m["time"] for m in api.sent]
    assert all(later - earlier >= 0.99 for earlier, later in zip(times, times[1:]))


def test_a_huge_alert_stays_within_4096_characters_and_keeps_its_link(store, api):
    config = config_for(api)
    text = "Workers & <staff> " * 600 + "went on strike."
    start = text.index("strike")
    url = "https://vlast.kz/news/" + "x" * 500 + "?a=1&b=2"
    owe(store, config, [1], ["<Huge> & " * 2000], snippet=Snippet(text, "text", ((start, start + 6),)), url=url)

    with RunningSender(config, store):
        [message] = api.wait_for(lambda: alerts(api, 1))

    assert message["parse_mode"] == "HTML"  # the fake parsed it as Telegram would: no fallback
    shown = visible_text(message["text"])
    assert len(message["text"]) <= 4096 and len(shown) <= 4096
    assert shown.endswith(url)
    assert not api.failures


def test_every_scraped_string_is_escaped_and_shown_as_written(store, api):
    config = Config.model_validate({
        "telegram": {"base_url": api.base_url},
        "sources": [{"id": "vlast", "name": "Vlast <kz> & Co", "feed": "https://vlast.kz/rss"}],
        "topics": [{"id": "strikes", "title": "Strikes & <walkouts>", "any": ["strike"]}],
    })
    title = '<script>alert("x")</script> strike & <b>unclosed'
    snippet = "A <i>strike</i> & a lockout"
    owe(store, config, [1], [title], snippet=Snippet(snippet, "text", ((snippet.index("strike"), snippet.index("strike") + 6),)))

    with RunningSender(config, store):
        [message] = api.wait_for(lambda: alerts(api, 1))

    assert message["parse_mode"] == "HTML" and not api.failures
    shown = visible_text(message["text"]).split("\n")
    assert shown[:2] == ["🔔 Strikes & <walkouts>", title]
    assert shown[2].startswith("Vlast <kz> & Co · ") and shown[3] == snippet
    assert "<b>strike</b>" in message["text"]  # the matched word, and only it, in bold


def test_link_previews_show_the_article_unless_turned_off(store, api):
    config = config_for(api)
    [url] = owe(store, config, [1], ["Strike one"])
    with RunningSender(config, store):
        [shown] = api.wait_for(lambda: alerts(api, 1))
    assert shown["link_preview_options"] == {"url": url}

    quiet = config_for(api, link_previews=False)
    owe(store, quiet, [2], ["Strike two"], url="https://vlast.kz/other/{n}")
    with RunningSender(quiet, store):
        [hidden] = api.wait_for(lambda: alerts(api, 2))
    assert hidden["link_preview_options"] == {"is_disabled": True}


def test_one_message_names_every_source_that_brought_the_article(store, api):
    config = config_for(api)
    [url] = owe(store, config, [1], ["Strike at the plant"])
    with store.session() as session:
        note_sources(session, "orda", [url], datetime.now(timezone.utc))

    with RunningSender(config, store):
        [message] = api.wait_for(lambda: alerts(api, 1))

    assert message["text"].split("\n")[2] == "Vlast.kz, Orda.kz · 27.11.2026 11:30"  # Asia/Almaty
    assert counts(store) == {"sent": 1}


def test_an_alert_failing_for_24_hours_is_marked_failed_and_the_queue_moves_on(store, api):
    config = config_for(api, max_retry_delay="1s")
    owe(store, config, [1], ["Strike one", "Strike two"])
    with store.session() as session:
        first, _ = outbox.due(session, datetime.now(timezone.utc))
        session.get(Delivery, first.delivery_id).created_at -= timedelta(hours=25)
    api.fail("sendMessage", 500, "Internal Server Error", chat_id=1)

    with RunningSender(config, store):
        [message] = api.wait_for(lambda: alerts(api, 1))

    assert "Strike two" in message["text"]
    with store.session() as session:
        assert outbox.counts(session) == {"failed": 1, "sent": 1}


def test_a_crash_mid_send_loses_nothing_and_the_repeat_is_counted(tmp_path):
    """`dozor run` is killed (SIGKILL) while its send hangs, after the alert was committed; the
    restarted service sends it, with no duplicate row, and counts the send as a possible repeat."""
    from tests.support.fixture_server import FixtureServer
    from tests.test_end_to_end import CHAT, Service, write_config

    with FixtureServer() as server, FakeBotApi() as fake:
        feed = server.feed("/news.xml", title="Fixture News")
        config = write_config(tmp_path, server, fake)
        database = Store(f"sqlite:///{tmp_path / 'data' / 'dozor.db'}")
        database.upgrade()
        with database.session() as session:
            subscribe(session, CHAT, "strikes")
        log = tmp_path / "dozor.log"

        crashed = crashable_service(config, log)
        try:
            fake.wait_for(lambda: fake.polling, timeout=30, what="the bot to poll")
            fake.set_down("hang")  # requests are taken and never answered
            feed.add_item("Oil workers strike in Aktau")
            fake.wait_for(lambda: any(m == "sendMessage" for m, _ in fake.calls), timeout=30)
        finally:
            # The whole process group, parser workers too: the machine died, not one process.
            os.killpg(crashed.pid, signal.SIGKILL)
            crashed.wait(timeout=10)
        fake.set_down("refuse")  # drops the hung request: the killed process never got an answer
        fake.set_down(None)
        with database.session() as session:
            [row] = session.scalars(select(Delivery)).all()
            assert (row.status, row.attempts, row.sending_at is not None) == ("pending", 1, True)

        restarted = Service(config, log)
        try:
            [alert] = fake.wait_for(lambda: fake.messages_to(CHAT), timeout=30)
            polled = server.hits("/news.xml")
            server.wait_for(lambda: server.hits("/news.xml") >= polled + 2, timeout=30)
            restarted.stop()
        finally:
            if restarted.process.poll() is None:
                restarted.process.kill()

        assert "Oil workers strike in Aktau" in alert["text"]
        assert len(fake.messages_to(CHAT)) == 1
        with database.session() as session:
            [row] = session.scalars(select(Delivery)).all()
            assert (row.status, row.repeats) == ("sent", 1)
            assert outbox.possible_repeats(session) == 1
        database.close()
        assert "possible repeat" in log.read_text(encoding="utf-8")


def crashable_service(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`dozor run` in a process group of its own, so a test can kill all of it at once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}
    env["DOZOR_TELEGRAM_TOKEN"] = TOKEN
    with log.open("ab") as sink:
        return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)],
                                stdout=subprocess.DEVNULL, stderr=sink, env=env, start_new_session=True)


def test_an_article_two_sources_bring_is_one_alert_naming_both(tmp_path):
    """Through `dozor run --once`: two feeds list the same link; one article, one alert, both names."""
    from tests.support.fixture_server import FixtureServer
    from tests.test_ingest_paths import run_once

    with FixtureServer() as server, FakeBotApi() as fake:
        link = server.url("/story/1")
        for path in ("/vlast.xml", "/orda.xml"):
            server.feed(path).add_item("Oil workers strike in Aktau", link=link)
        config = tmp_path / "config.yaml"
        config.write_text(f"""
telegram:
  base_url: {fake.base_url}
sources:
  - {{id: vlast, name: Vlast.kz, feed: "{server.url('/vlast.xml')}", allow_private: true}}
  - {{id: orda, name: Orda.kz, feed: "{server.url('/orda.xml')}", allow_private: true}}
topics:
  - {{id: strikes, any: [strike]}}
""", encoding="utf-8")
        database = Store(f"sqlite:///{tmp_path / 'data' / 'dozor.db'}")
        database.upgrade()
        with database.session() as session:
            subscribe(session, 1, "strikes")
        run_once(config, TOKEN)
        [message] = fake.messages_to(1)

    byline = message["text"].split("\n")[2]
    assert byline.split(" · ")[0] in ("Vlast.kz, Orda.kz", "Orda.kz, Vlast.kz")
    with database.session() as session:
        assert outbox.counts(session) == {"sent": 1}
    database.close()
