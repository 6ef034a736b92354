"""`dozor status`: one screen (or one JSON object) of counts read from a real store.

The store is filled through the same functions the service uses (sync, poll outcomes, silence and
selector-rot checks, storing matched items, subscribing, the outbox's marks), so each count below
is one a wrong query would get wrong: yesterday's hits, other chats' subscriptions, sent-yesterday
alerts, overlapping source states and the fourth-newest event are all present to be left out.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner


from monitor.cli import app
from monitor.config import load_config
from monitor.live_config import config_version
from monitor.parse import FeedItem
from monitor.store import outbox
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.events import record_event
from monitor.store.models import Delivery
from monitor.store.sources import Outcome, check_silence, record_outcome, record_yield, sync_sources
from monitor.store.status import gather, local_midnight
from monitor.store.subscribers import ensure_subscriber, subscribe
from tests.support.builders import topic_match
from tests.support.migrations import migrate

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5: local midnight is 19:00 UTC the day before
INTERVAL = timedelta(minutes=10)

CONFIG = """\
timezone: Asia/Almaty
storage:
  url: sqlite:///data/dozor.db
sources:
  - {id: ok, feed: "https://ok.example/feed"}
  - {id: failing, feed: "https://failing.example/feed"}
  - {id: paused, feed: "https://paused.example/feed"}
  - {id: silent, feed: "https://silent.example/feed"}
  - {id: broken, feed: "https://broken.example/feed"}
  - {id: fresh, feed: "https://fresh.example/feed"}
  - {id: gone, feed: "https://gone.example/feed", enabled: false}
topics:
  - {id: strikes, any: [strike]}
  - {id: arrests, any: [arrest]}
  - {id: mangystau, any: [Aktau]}
"""


def items(source: str, count: int, when: datetime, *topics: str, start: int = 0) -> list[MatchedItem]:
    return [MatchedItem(FeedItem(f"https://{source}.example/{when:%Y%m%d%H%M}/{n}", None, f"T{n}", "", when),
                        [topic_match(topic, topic) for topic in topics]) for n in range(start, start + count)]


def fill(store: Store, config_path: Path, now: datetime) -> None:
    """Seven sources in every state, three chats, hits today and yesterday, and a worked outbox."""
    config = load_config(config_path)
    yesterday = local_midnight(now, ALMATY) - timedelta(hours=1)
    with store.session() as s:
        record_event(s, "config_error", "the oldest event: not among the last three", now - timedelta(days=2))
        sync_sources(s, config.sources, now - timedelta(days=10))
        subscribe(s, 1, "strikes")
        subscribe(s, 1, "arrests")
        subscribe(s, 2, "strikes")
        ensure_subscriber(s, 3)  # talked to the bot, follows nothing
    with store.session() as s:
        record_outcome(s, "ok", Outcome(new_items=1), INTERVAL, now - timedelta(minutes=3))
        record_outcome(s, "failing", Outcome(error="HTTP 502"), INTERVAL, now - timedelta(minutes=1))
        record_outcome(s, "paused", Outcome(error="DNS"), INTERVAL, now - timedelta(hours=2), pause_after=1)
        record_outcome(s, "broken", Outcome(), INTERVAL, now - timedelta(minutes=5))
        record_yield(s, "broken", "no article links on the listing page", now - timedelta(minutes=5), 1)
        # A daily publisher whose last item is four days old; it is also failing now.
        for day in range(4, 10):
            store_items(s, "silent", items("silent", 1, now - timedelta(days=day), start=day), now - timedelta(days=day))
        record_outcome(s, "silent", Outcome(error="timed out"), INTERVAL, now - timedelta(minutes=2))
        check_silence(s, "silent", now - timedelta(minutes=2))
    with store.session() as s:
        store_items(s, "ok", items("ok", 2, yesterday, "strikes"), yesterday)  # 2 hits x 2 chats
        store_items(s, "ok", items("ok", 3, now, "strikes") + items("ok", 1, now, "arrests", start=3), now)
    with store.session() as s:  # 4 + 6 + 1 = 11 deliveries: 3 sent (1 yesterday), 1 failed, 7 pending
        ids = list(s.scalars(select(Delivery.id).order_by(Delivery.id)))
        outbox.mark_sent(s, ids[0], yesterday)
        outbox.mark_sent(s, ids[4:6], now)
        outbox.mark_failed(s, ids[6], "Bad Request: chat not found")
        outbox.mark_sending(s, ids[7], now)
        outbox.mark_retry(s, ids[7], now, timedelta(seconds=5), "timed out", maybe_sent=True)
        outbox.mark_sending(s, ids[7], now)  # tried again after a timeout: a possible repeat


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("DOZOR_CONFIG", "DOZOR_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def filled(config_path: Path) -> Path:
    """The config's own SQLite store, filled as of the real clock (the command reads the real clock)."""
    store = Store(f"sqlite:///{config_path.parent / 'data' / 'dozor.db'}")
    store.upgrade()
    try:
        fill(store, config_path, datetime.now(timezone.utc))
    finally:
        store.close()
    return config_path


def dozor(*args: str):
    result = CliRunner().invoke(app, ["status", *args], env={"COLUMNS": "80", "LINES": "24"})
    assert "Traceback" not in result.output, result.output
    return result


def test_json_has_every_count_with_stable_keys(filled):
    result = dozor("--config", str(filled), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(data) == ["config", "deliveries", "events", "hits_today", "last_crawl", "problems",
                            "sources", "subscribers", "subscriptions", "time", "timezone", "today_since"]
    assert data["sources"] == {"active": 6, "healthy": 1, "failing": 2, "paused": 1, "silent": 1,
                               "broken": 1, "unchecked": 1, "disabled": 1}
    assert data["problems"] == [{"id": "paused", "state": "PAUSED"},
                                {"id": "broken", "state": "BROKEN"},
                                {"id": "failing", "state": "failing (1)"},
                                {"id": "silent", "state": "failing (1), SILENT"}]
    assert data["hits_today"] == {"strikes": 3, "arrests": 1, "mangystau": 0}
    assert data["deliveries"] == {"pending": 7, "failed": 1, "sent": 3, "sent_today": 2, "possible_repeats": 1}
    assert data["subscribers"] == 3
    assert data["subscriptions"] == {"strikes": 2, "arrests": 1, "mangystau": 0}
    assert data["config"]["version"] == config_version(filled) and len(data["config"]["version"]) == 12
    assert (data["config"]["sources"], data["config"]["topics"]) == (7, 3)
    assert data["timezone"] == "Asia/Almaty"
    # Newest first: the silence (2 min ago), the rot (5 min), the pause (2 h); not the 2-day-old one.
    assert [e["kind"] for e in data["events"]] == ["source_silent", "source_broken", "source_paused"]
    assert data["events"][2]["source"] == "paused" and "dozor resume paused" in data["events"][2]["message"]
    now = datetime.fromisoformat(data["time"])
    assert now - datetime.fromisoformat(data["last_crawl"]) < timedelta(minutes=2)
    assert datetime.fromisoformat(data["today_since"]) == local_midnight(now, ALMATY)


def test_the_screen_shows_the_counts_and_fits_80_by_24(filled):
    result = dozor("--config", str(filled))
    assert result.exit_code == 0, result.output
    screen = result.stdout
    lines = screen.rstrip("\n").splitlines()
    assert len(lines) <= 23 and max(len(line) for line in lines) <= 80, screen
    assert f"config version {config_version(filled)} (7 sources, 3 topics)" in screen
    assert "Sources: 6 active, 1 off" in screen
    assert re.search(r"healthy\s+1\s+failing\s+2", screen), screen
    assert re.search(r"paused\s+1\s+silent\s+1", screen), screen
    assert re.search(r"broken\s+1\s+unchecked\s+1", screen), screen
    assert "paused PAUSED, broken BROKEN" in screen
    assert re.search(r"pending\s+7\s+failed\s+1", screen), screen
    assert re.search(r"sent today\s+2\s+sent\s+3", screen), screen
    assert re.search(r"repeats\?\s+1\s+subscribers\s+3", screen), screen
    assert "Topics: 4 hits today" in screen
    assert re.search(r"strikes\s+3\s+2", screen) and re.search(r"arrests\s+1\s+1", screen), screen
    assert re.search(r"mangystau\s+0\s+0", screen), screen
    assert "source_paused Source paused" in screen
    assert "the oldest event" not in screen
    assert "last crawl 1m ago" in screen


@pytest.fixture
def empty(config_path: Path) -> Path:
    """The config's SQLite store, migrated and empty (as after `dozor db upgrade`)."""
    store = Store(f"sqlite:///{config_path.parent / 'data' / 'dozor.db'}")
    store.upgrade()
    store.close()
    return config_path


def test_no_database_yet_exits_3_and_creates_nothing(config_path):
    """A health check must not write: no database file, no folder, no migration."""
    result = dozor("--config", str(config_path))
    assert result.exit_code == 3
    assert "no database yet" in result.stderr and "dozor run" in result.stderr
    assert not (config_path.parent / "data").exists()


def test_a_database_behind_the_migrations_exits_3_and_is_left_as_it_was(config_path):
    store = Store(f"sqlite:///{config_path.parent / 'data' / 'dozor.db'}")
    migrate(store, "0004")
    result = dozor("--config", str(config_path))
    assert result.exit_code == 3
    assert "dozor db upgrade" in result.stderr
    assert not store.is_current()  # status did not migrate it
    store.close()


def test_an_empty_store_says_so_and_exits_0(empty):
    config_path = empty
    result = dozor("--config", str(config_path))
    assert result.exit_code == 0, result.output
    assert "last crawl never" in result.stdout and "none yet" in result.stdout
    data = json.loads(dozor("--config", str(config_path), "--json").stdout)
    assert data["sources"]["active"] == 0 and data["last_crawl"] is None and data["events"] == []
    assert data["deliveries"] == {"pending": 0, "failed": 0, "sent": 0, "sent_today": 0, "possible_repeats": 0}


def test_an_invalid_config_exits_2_with_the_error_as_check_config_does(config_path):
    config_path.write_text(CONFIG.replace("timezone: Asia/Almaty", "timezone: Mars/Olympus"), encoding="utf-8")
    result = dozor("--config", str(config_path), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "config.yaml:1 timezone" in result.stderr and "Mars/Olympus" in result.stderr


def test_many_topics_and_three_events_still_fit_one_screen(filled):
    many = "".join(f"  - {{id: topic{n:02d}, any: [word{n}]}}\n" for n in range(20))
    filled.write_text(CONFIG.split("topics:")[0] + "topics:\n" + many, encoding="utf-8")
    result = dozor("--config", str(filled))
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").splitlines()
    assert len(lines) <= 23 and max(len(line) for line in lines) <= 80, result.stdout
    # 20 configured topics, then the 2 the store still has hits for: 9 shown, the 10th cell says the rest.
    assert "topic00" in result.stdout and "topic08" in result.stdout and "topic09" not in result.stdout
    assert "+13 more" in result.stdout and "Topics: 4 hits today (all: --json)" in result.stdout
    hits_today = json.loads(dozor("--config", str(filled), "--json").stdout)["hits_today"]
    assert len(hits_today) == 22 and (hits_today["topic19"], hits_today["strikes"]) == (0, 3)


def test_gather_counts_the_same_on_every_backend(store, now, config_path):
    fill(store, config_path, now)
    with store.session() as s:
        status = gather(s, now, ALMATY)
    assert (status.sources.active, status.sources.healthy, status.sources.failing, status.sources.paused,
            status.sources.silent, status.sources.broken, status.sources.unchecked) == (6, 1, 2, 1, 1, 1, 1)
    assert dict(status.hits_today) == {"strikes": 3, "arrests": 1}
    assert dict(status.deliveries) == {"pending": 7, "sent": 3, "failed": 1}
    assert (status.sent_today, status.possible_repeats, status.subscribers) == (2, 1, 3)
    assert dict(status.subscriptions) == {"strikes": 2, "arrests": 1}
    assert status.last_crawl == now - timedelta(minutes=1)
    assert [e.kind for e in status.events] == ["source_silent", "source_broken", "source_paused"]


@pytest.mark.parametrize(
    ("hit_at", "today"),
    [
        pytest.param("2026-11-26T19:30+00:00", True, id="after local midnight, still yesterday in UTC"),
        pytest.param("2026-11-26T18:30+00:00", False, id="before local midnight"),
        pytest.param("2026-11-27T11:59+00:00", True, id="a minute ago"),
    ],
)
def test_today_starts_at_local_midnight_not_utc_midnight(store, now, config_path, hit_at, today):
    config = load_config(config_path)
    when = datetime.fromisoformat(hit_at)
    with store.session() as s:
        sync_sources(s, config.sources, now)
        store_items(s, "ok", items("ok", 1, when, "strikes"), when)
    with store.session() as s:
        status = gather(s, now, ALMATY)
    assert status.today_since == datetime(2026, 11, 26, 19, 0, tzinfo=timezone.utc)
    assert dict(status.hits_today) == ({"strikes": 1} if today else {})


def test_local_midnight_on_a_dst_day_is_the_real_start_of_the_day():
    # Europe/Berlin went to summer time at 02:00 on 29 March 2026: midnight was still UTC+1.
    noon = datetime(2026, 3, 29, 10, 0, tzinfo=timezone.utc)
    assert local_midnight(noon, ZoneInfo("Europe/Berlin")) == datetime(2026, 3, 28, 23, 0, tzinfo=timezone.utc)
