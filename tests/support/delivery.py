"""The real TelegramSender ticking in a thread against the fake Bot API, on a clock the test sets.

    clock = FakeClock(datetime(2026, 11, 27, 22, 0, tzinfo=timezone.utc))
    with RunningSender(config, store, clock) as sender:
        clock.set(later)
        sender.wait_ticks()  # at least one whole delivery round saw `later`
        assert api.messages_to(1) == []

Alerts are stored the way ingest stores them (`owe`), stamped with the clock's time.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path

from bot.telegram_sender import TelegramSender
from monitor.config import Config
from monitor.live_config import LiveConfig
from monitor.match import TopicMatch
from monitor.metrics import Metrics
from monitor.parse import FeedItem
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.models import Subscriber
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe
from tests.support.builders import topic_match

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
TICK = 0.02  # the service ticks every second; tests need not wait that long


class FakeClock:
    """A UTC clock that moves only when the test says; read by the sender's thread."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, now: datetime) -> None:
        with self._lock:
            self._now = now

    def advance(self, by: timedelta) -> datetime:
        with self._lock:
            self._now += by
            return self._now


class RunningSender:
    """TelegramSender in a thread of its own, calling deliver_pending every TICK until stopped.

    `clock`: the sender's clock (a FakeClock), else real time. `commands`: also poll for bot
    commands (start()), not only connect. `metrics` is what /metrics would show for it."""

    def __init__(self, config: Config, store: Store, clock: FakeClock | None = None, *,
                 commands: bool = False) -> None:
        self.config, self.store, self.clock, self.commands = config, store, clock, commands
        self._stopping = threading.Event()
        self._ticks = 0
        self._ticked = threading.Condition()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="sender")
        self.error: BaseException | None = None
        self.connected = threading.Event()
        self.metrics = Metrics()

    async def _main(self) -> None:
        clock = {"clock": self.clock} if self.clock else {}
        sender = TelegramSender(LiveConfig(Path("config.yaml"), self.config), self.store, TOKEN,
                                metrics=self.metrics, **clock)
        try:
            await (sender.start() if self.commands else sender.connect())
            self.connected.set()
            while not self._stopping.is_set():
                await sender.deliver_pending()
                with self._ticked:
                    self._ticks += 1
                    self._ticked.notify_all()
                await asyncio.sleep(TICK)
        except BaseException as exc:  # surfaced by __exit__, so a crash fails the test
            self.error = exc
        finally:
            await sender.stop()

    def wait_ticks(self, count: int = 2, timeout: float = 10) -> None:
        """Wait until `count` more delivery rounds have finished (the first may have begun before)."""
        with self._ticked:
            target = self._ticks + count
            assert self._ticked.wait_for(lambda: self._ticks >= target or self.error is not None, timeout), \
                "the sender stopped ticking"
        assert self.error is None, repr(self.error)

    def __enter__(self) -> RunningSender:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "the sender did not stop"
        assert self.error is None, repr(self.error)


def owe(store: Store, config: Config, chats: list[int], titles: list[str], now: datetime,
        topic: str = "strikes", term: str = "strike", source: str = "vlast",
        url: str = "https://vlast.kz/{topic}/{n}?a=1&b=2") -> list[str]:
    """Articles stored as ingest stores them at `now` (article, hit, a row per chat following
    `topic`); their URLs. Call again with other titles or another `url` for more."""
    urls = [url.format(topic=topic, n=f"{now:%H%M%S}-{n}") for n in range(len(titles))]
    with store.session() as session:
        sync_sources(session, config.sources, now)
        for chat in chats:
            subscribe(session, chat, topic)
        found = [TopicMatch(topic, topic_match(topic, term).matches)]
        items = [MatchedItem(FeedItem(link, None, title, "", now), found) for link, title in zip(urls, titles)]
        store_items(session, source, items, now)
    return urls


def choose(store: Store, chat: int, **columns: object) -> None:
    """Set a chat's delivery choices (digest, digest_at, quiet_from, quiet_until, muted_until, …)
    as the bot's commands store them."""
    with store.session() as session:
        row = session.get(Subscriber, chat)
        assert row is not None, "subscribe the chat first (owe does)"
        for name, value in columns.items():
            setattr(row, name, value)
