"""`dozor run` killed with SIGKILL (a power cut, an OOM kill) and started again: nothing is lost,
nothing is stored twice, and the schedule carries on where it was.

Each test runs the real service as a subprocess against loopback fakes: feeds on a
`GatedFixtureServer`, whose gate holds responses so the kill lands while Scrapy has feeds on the
wire, and the fake Bot API, whose "hang" outage holds a send so the kill lands mid fan-out. The
whole process group is killed, parser workers too.

"The schedule resumes" means: once restarted, every source is polled promptly, and only once
for all the runs it missed while the service was down (claim_due makes a source due once, however
late it is; APScheduler coalesces missed ticks), then again every interval, never in a burst.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.store import outbox
from monitor.store.db import Store
from monitor.store.models import Article, Delivery, Hit, Source
from monitor.store.subscribers import subscribe
from tests.support.dozor_process import DozorProcess
from tests.support.fake_telegram import FakeBotApi
from tests.support.fixture_server import FixtureFeed
from tests.support.gated_feeds import GatedFixtureServer
from tests.support.inbox import sends_in_flight, titles_to

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
INTERVAL = 2.0  # seconds between polls of each source
STARTUP = 15.0  # `dozor run` imports, migrates, connects the bot: generous on a loaded machine
# Polls of one source are an interval apart, claim to claim. A request leaves a little after its
# claim, and the first after a start later than the rest (Scrapy builds its crawler): requests can
# be a few hundred ms closer than the interval. A burst of catch-up polls would be ~0 s apart.
MIN_GAP = INTERVAL * 0.75
# How long the killed service stays down in the fan-out test, in intervals of the sources: runs
# it misses, which the restart must not make up in a burst.
DOWN_FOR_INTERVALS = 3


def write_config(tmp_path: Path, server: GatedFixtureServer, api: FakeBotApi, feeds: list[str]) -> Path:
    sources = "\n".join(
        f"""  - id: {path.strip('/').removesuffix('.xml')}
    name: Feed {path}
    feed: {server.url(path)}
    interval: {INTERVAL:g}s
    allow_private: true         # the fixture server is on 127.0.0.1"""
        for path in feeds
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
storage:
  url: sqlite:///data/dozor.db
telegram:
  base_url: {api.base_url}
  max_retry_delay: 1s
sources:
{sources}
topics:
  - id: strikes
    title: Strikes
    any: [strike]
""",
        encoding="utf-8",
    )
    return config


def subscribed_store(tmp_path: Path, chats: list[int]) -> Store:
    """The service's database, migrated, with `chats` subscribed to strikes."""
    store = Store(f"sqlite:///{tmp_path / 'data' / 'dozor.db'}")
    store.upgrade()
    with store.session() as session:
        for chat in chats:
            subscribe(session, chat, "strikes")
    return store


def polls_after(server: GatedFixtureServer, path: str, since: float) -> list[float]:
    return [at for at in server.arrivals(path) if at >= since]


def row_counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            "articles": session.scalar(select(func.count()).select_from(Article)),
            "distinct urls": session.scalar(select(func.count(func.distinct(Article.canonical_url)))),
            "hits": session.scalar(select(func.count()).select_from(Hit)),
            "distinct hits": session.scalar(
                select(func.count()).select_from(select(Hit.article_id, Hit.topic_id).distinct().subquery())),
            "deliveries": session.scalar(select(func.count()).select_from(Delivery)),
            "distinct deliveries": session.scalar(
                select(func.count()).select_from(select(Delivery.hit_id, Delivery.chat_id).distinct().subquery())),
        }


def leases(store: Store) -> dict[str, str]:
    """Each source's next check, relative to now (for failure messages)."""
    now = datetime.now(timezone.utc)
    with store.session() as session:
        return {row.id: f"{(row.next_check_at - now).total_seconds():+.0f}s"
                for row in session.scalars(select(Source))}


def assert_polled_every_interval_without_catch_up(server: GatedFixtureServer, feeds: list[str],
                                                  since: float) -> None:
    """After a restart, each source's polls are an interval apart: the runs missed while the
    service was down are made up by one poll, not by a burst."""
    for path in feeds:
        polls = polls_after(server, path, since)
        gaps = [round(later - earlier, 2) for earlier, later in zip(polls, polls[1:])]
        assert gaps and min(gaps) >= MIN_GAP, f"{path}: polls {gaps} s apart after the restart"


class StillLeased(AssertionError):
    """Sources claimed by a killed process are not polled after the restart."""


def add_story(server: GatedFixtureServer, feed: FixtureFeed, title: str) -> str:
    """An item with a link of its own (the default /articles/<n> repeats across feeds); its title."""
    return feed.add_item(title, link=server.url(f"/story/{uuid.uuid4().hex}"))["title"]


def test_a_kill_in_the_middle_of_a_crawl_then_a_restart_polls_every_source_at_once_and_loses_nothing(tmp_path):
    """Four feeds, two chats. After a first round is stored and delivered, the feeds publish
    again and the next crawl is caught with feeds on the wire: SIGKILL. The restarted service
    polls every source within a couple of intervals, each chat gets each new alert once and no
    old one again, and no article, hit or delivery row is doubled."""
    feeds = ["/a.xml", "/b.xml", "/c.xml", "/d.xml"]
    chats = [101, 102]
    with GatedFixtureServer() as server, FakeBotApi(token=TOKEN) as api:
        published = {path: server.feed(path, title=f"Feed {path}") for path in feeds}
        old = [add_story(server, published[path], f"Strike at plant {path}") for path in feeds[:2]]
        config = write_config(tmp_path, server, api, feeds)
        store = subscribed_store(tmp_path, chats)
        log = tmp_path / "dozor.log"

        with DozorProcess(config, log, token=TOKEN) as first:
            api.wait_for(lambda: all(sorted(titles_to(api, chat)) == sorted(old) for chat in chats),
                         timeout=STARTUP + 10)
            # Every response from now on waits at the gate: the next crawl stays on the wire.
            server.close_gate()
            new = [add_story(server, published[path], f"Dockers on strike, {path}") for path in feeds]
            server.wait_for(lambda: server.held >= 2, timeout=4 * INTERVAL,
                            what="a crawl with two feeds on the wire")
            first.kill()
        server.open_gate()  # only the dead process's requests were waiting
        api.set_down("refuse")  # the dead process's connections (its long poll) end, as they would
        api.set_down(None)
        assert row_counts(store)["articles"] == len(old)  # nothing of the cut-off crawl was stored

        with DozorProcess(config, log, token=TOKEN) as second:
            api.wait_for(lambda: api.polling, timeout=STARTUP, what="the restarted service to be up")
            restarted = time.monotonic()
            # Held feeds are polled again soon, with the ones the crawl had not reached yet.
            try:
                server.wait_for(lambda: all(polls_after(server, path, restarted) for path in feeds),
                                timeout=2 * INTERVAL + 1, what="every source polled after the restart")
            except AssertionError as exc:
                raise StillLeased(f"{exc}\nnext checks from now: {leases(store)}") from None
            api.wait_for(lambda: all(sorted(titles_to(api, chat)) == sorted(old + new) for chat in chats),
                         timeout=20, what="every chat to get every new alert")
            server.wait_for(lambda: all(len(polls_after(server, path, restarted)) >= 3 for path in feeds),
                            timeout=4 * INTERVAL + 2)
            assert second.stop() == 0

        for chat in chats:  # nothing sent twice: the kill came before anything of the crawl was stored
            assert len(api.messages_to(chat)) == len(old + new)
        assert_polled_every_interval_without_catch_up(server, feeds, restarted)
        total = len(old + new)
        assert row_counts(store) == {"articles": total, "distinct urls": total, "hits": total,
                                     "distinct hits": total, "deliveries": total * len(chats),
                                     "distinct deliveries": total * len(chats)}
        store.close()


def test_a_kill_in_the_middle_of_a_fan_out_then_a_restart_delivers_the_rest_once_and_resumes_the_schedule(tmp_path):
    """Forty chats follow the topic; the kill lands while one send of the fan-out is in flight.
    After the restart every chat has the alert exactly once (the fake never delivered the
    cut-off send), that one send is counted as a possible repeat, no row is doubled, and the
    sources, which missed several runs while the service was down, are polled once and then
    every interval."""
    feeds = ["/news.xml", "/quiet.xml"]
    chats = list(range(1001, 1041))  # 40 sends at Telegram's 29.5/s: over a second of fan-out
    with GatedFixtureServer() as server, FakeBotApi(token=TOKEN) as api:
        news = server.feed("/news.xml", title="News")
        server.feed("/quiet.xml", title="Quiet")
        config = write_config(tmp_path, server, api, feeds)
        store = subscribed_store(tmp_path, chats)
        log = tmp_path / "dozor.log"

        with DozorProcess(config, log, token=TOKEN) as first:
            api.wait_for(lambda: api.polling, timeout=STARTUP, what="the bot to poll")
            title = news.add_item("Oil workers strike in Aktau")["title"]
            api.wait_for(lambda: len(api.sent) >= 3, timeout=STARTUP, what="the fan-out to start")
            api.set_down("hang")  # the next send is taken and never answered
            api.wait_for(lambda: sends_in_flight(api) == 1, timeout=5, what="a send in flight")
            first.kill()
            killed = time.monotonic()
        api.set_down("refuse")  # drops the hung request: the killed process never got an answer
        api.set_down(None)
        last_poll = max(max(server.arrivals(path)) for path in feeds)
        reached = {m["chat_id"] for m in api.sent}
        assert 3 <= len(reached) < len(chats)  # killed mid fan-out
        with store.session() as session:
            in_flight = session.scalars(select(Delivery).where(Delivery.sending_at.is_not(None))).all()
            assert [(row.status, row.chat_id in reached) for row in in_flight] == [("pending", False)]
            cut_off = in_flight[0].chat_id
        stay_down_until(last_poll + DOWN_FOR_INTERVALS * INTERVAL)

        with DozorProcess(config, log, token=TOKEN) as second:
            api.wait_for(lambda: all(api.messages_to(chat) for chat in chats), timeout=STARTUP + 10,
                         what="every chat to get the alert")
            server.wait_for(lambda: all(len(polls_after(server, path, killed)) >= 3 for path in feeds),
                            timeout=4 * INTERVAL + 2)
            assert second.stop() == 0

        for chat in chats:
            assert titles_to(api, chat) == [title], chat
        with store.session() as session:
            assert outbox.counts(session) == {"sent": len(chats)}
            assert outbox.possible_repeats(session) == 1
            [repeated] = session.scalars(select(Delivery).where(Delivery.repeats > 0)).all()
            assert (repeated.chat_id, repeated.repeats) == (cut_off, 1)
        assert row_counts(store) == {"articles": 1, "distinct urls": 1, "hits": 1, "distinct hits": 1,
                                     "deliveries": len(chats), "distinct deliveries": len(chats)}
        store.close()
        # Each source missed several runs, yet its first poll after the restart is followed by
        # the next only an interval later.
        for path in feeds:
            assert polls_after(server, path, killed)[0] - last_poll >= DOWN_FOR_INTERVALS * INTERVAL
        assert_polled_every_interval_without_catch_up(server, feeds, killed)
        assert "possible repeat" in log.read_text(encoding="utf-8")


def stay_down_until(moment: float) -> None:
    """The outage itself: the service stays down until `moment` (time.monotonic()). There is
    nothing to wait on but the clock, so this is the one sleep here."""
    time.sleep(max(0.0, moment - time.monotonic()))


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone, only not yet reaped


def test_parser_workers_do_not_outlive_a_service_killed_alone(tmp_path):
    """Only the service's own pid is killed (not its group, as `kill -9 PID` does): its parser
    workers, forkserver and resource tracker must not linger, each holding memory for ever."""
    with GatedFixtureServer() as server, FakeBotApi(token=TOKEN) as api:
        feed = server.feed("/a.xml")
        add_story(server, feed, "Strike at the port")
        config = write_config(tmp_path, server, api, ["/a.xml"])
        with DozorProcess(config, tmp_path / "dozor.log") as service:
            server.wait_for(lambda: server.hits("/a.xml") >= 2, timeout=STARTUP + 10)
            helpers = descendants(service.pid)
            assert helpers, "expected parser processes below the service"
            os.kill(service.pid, signal.SIGKILL)
            service.process.wait(timeout=10)
            deadline = time.monotonic() + 10
            while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
                time.sleep(0.2)  # processes give no event to wait on; bounded by the deadline
            assert not [pid for pid in helpers if alive(pid)], "helper processes outlived the service"
