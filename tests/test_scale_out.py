"""Scale-out on PostgreSQL: 3 `--role worker` processes and 1 `--role bot` over 200 loopback feeds
for several intervals. Each source is crawled once per interval by exactly one worker, no
article or delivery is stored twice, and every alert reaches its chat once."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store.db import Store
from monitor.store.models import Article, Delivery, Hit, Subscriber, Subscription
from tests.conftest import postgres_schema
from tests.support.dozor_process import DozorProcess
from tests.support.fake_telegram import FakeBotApi
from tests.support.fixture_server import FixtureFeed, FixtureServer

pytestmark = pytest.mark.postgres
POSTGRES_URL = os.environ.get("DOZOR_TEST_POSTGRES_URL")
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
FEEDS = 200
INTERVAL = 4.0  # seconds
INTERVALS = 4  # how long the steady state is watched
CHATS = [101, 102, 103]
# The interval runs claim to claim; a request can leave a few hundred ms later after one claim
# than after the next (a busy worker), so requests may be that much closer. Twice in one
# interval would be ~0 s apart.
EARLY = 1.0


def write_config(path: Path, server: FixtureServer, api: FakeBotApi, database: str) -> Path:
    sources = "".join(
        f"""
  - id: feed-{n}
    feed: {server.url(f"/feeds/{n}.xml")}
    interval: {int(INTERVAL)}s
    allow_private: true
""" for n in range(FEEDS))
    path.write_text(f"""
storage:
  url: "{database}"
telegram:
  base_url: {api.base_url}
sources:{sources}
topics:
  - id: strikes
    any: [strike]
""", encoding="utf-8")
    return path


@pytest.fixture
def database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("DOZOR_TEST_POSTGRES_URL is not set (.ci/run sets it); the scale-out test needs PostgreSQL")
    with postgres_schema(POSTGRES_URL) as url:
        yield url


def subscribe_chats(url: str) -> None:
    store = Store(url)
    store.upgrade()
    with store.session() as session:
        session.add_all(Subscriber(chat_id=chat) for chat in CHATS)
        session.flush()
        session.add_all(Subscription(chat_id=chat, topic_id="strikes") for chat in CHATS)
    store.close()


def add_news(feeds: list[FixtureFeed], server: FixtureServer, round_: int) -> set[str]:
    """A strike story in every 40th feed, an unrelated one in the others; the strike URLs. (Few
    alerts: each chat gets at most one message a second.)"""
    urls = set()
    for n, feed in enumerate(feeds):
        url = server.url(f"/articles/{round_}/{n}")
        if n % 40 == 0:
            feed.add_item(f"Strike number {round_} at plant {n}", url, description="Workers walked out")
            urls.add(url)
        else:
            feed.add_item(f"Weather report {round_} for district {n}", url, description="Sunny")
    return urls


def test_three_workers_and_a_bot_share_one_postgresql(tmp_path, database):
    subscribe_chats(database)
    with FixtureServer() as server, FakeBotApi(token=TOKEN) as api:
        feeds = [server.feed(f"/feeds/{n}.xml", title=f"Feed {n}") for n in range(FEEDS)]
        expected = add_news(feeds, server, 0)
        config = write_config(tmp_path / "config.yaml", server, api, database)
        processes = [DozorProcess(config, tmp_path / f"worker-{n}.log", args=("--role", "worker"))
                     for n in range(3)]
        processes.append(DozorProcess(config, tmp_path / "bot.log", token=TOKEN, args=("--role", "bot")))
        try:
            # Everything polled once, then news in the middle of the watched intervals.
            server.wait_for(lambda: len({r.path for r in server.requests}) >= FEEDS, timeout=60,
                            what="every feed polled once")
            watch_from = time.monotonic()
            # Not waiting for a condition: the steady state over these intervals is what is measured.
            time.sleep(INTERVAL * INTERVALS / 2)
            expected |= add_news(feeds, server, 1)
            time.sleep(INTERVAL * INTERVALS / 2)
            watch_until = time.monotonic()
            api.wait_for(lambda: len(api.sent) >= len(expected) * len(CHATS), timeout=30,
                         what="every alert sent")
        finally:
            # From here a stopping worker hands its cut-off polls back, and another may redo them
            # at once: that is by design, so spacing is judged on the polls before this.
            stopping_from = time.monotonic()
            codes = [process.stop() for process in processes]
        logs = "\n".join(process.log_text() for process in processes)

    assert codes == [0, 0, 0, 0], logs[-3000:]
    assert "Traceback" not in logs, logs[logs.index("Traceback") - 500:][:3000]
    by_feed: dict[str, list[float]] = {}
    for request in server.requests:
        if request.time < stopping_from:
            by_feed.setdefault(request.path.split("?")[0], []).append(request.time)
    assert len(by_feed) == FEEDS
    for path, times in by_feed.items():
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= INTERVAL - EARLY, f"{path} polled twice in one interval: {gaps}"
        watched = [t for t in times if watch_from <= t <= watch_until]
        # Once per interval: never more, and never skipping an interval either.
        assert INTERVALS - 1 <= len(watched) <= INTERVALS + 1, f"{path}: {len(watched)} polls in {INTERVALS} intervals"

    store = Store(database)
    with store.session() as session:
        urls = session.scalars(select(Article.canonical_url)).all()
        hits = session.scalar(select(func.count()).select_from(Hit))
        deliveries = session.execute(select(Delivery.chat_id, Delivery.status)).all()
    store.close()
    assert len(urls) == len(set(urls)) == 2 * FEEDS
    assert hits == len(expected)
    assert Counter(status for _, status in deliveries) == {"sent": len(expected) * len(CHATS)}
    for chat in CHATS:
        got = [m["text"] for m in api.messages_to(chat)]
        assert len(got) == len(expected), f"chat {chat} got {len(got)} alerts, expected {len(expected)}"
        assert len(set(got)) == len(got), f"chat {chat} got a duplicate"
    assert "getUpdates" in {method for method, _ in api.calls}  # the bot listens for commands
