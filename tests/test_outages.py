"""What `dozor run` does when what it depends on fails while it runs: the Bot API goes down, the
database cannot be written.

The real service runs as a subprocess against loopback fakes (feeds on a FixtureServer, the fake
Bot API). Telegram being down must cost nothing but delay: alerts queue and go out in order once
it is back, and the crawler never stops meanwhile. A database that cannot be written is the
opposite case: nothing can be kept, so the service must stop with an error that names the file
and says what to do, rather than poll and fail every second forever.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.config import load_config
from monitor.store import outbox
from monitor.store.db import Store
from monitor.store.models import Article, Delivery
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe
from tests.support.confined import (FILLS_UP, FULL_DISK, READ_ONLY_FILE, READ_ONLY_FOLDER, confined,
                                    namespace_prefix)
from tests.support.dozor_process import DozorProcess
from tests.support.fake_telegram import FakeBotApi
from tests.support.fixture_server import FixtureServer
from tests.support.gated_feeds import GatedFixtureServer
from tests.support.inbox import sends_in_flight, titles_to

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
STARTUP = 15.0  # `dozor run` imports, migrates, connects the bot: generous on a loaded machine
INTERVAL = 1.0  # between polls of the feed
# The longest the crawler may go without polling: the interval, the scheduler's 1 s tick, slack.
MAX_POLL_GAP = INTERVAL + 1.0 + 2.0
# A service that cannot write its database must be gone within this.
EXIT_WITHIN = 10.0


def write_config(tmp_path: Path, server: FixtureServer, api_url: str = "http://127.0.0.1:9/bot") -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
storage:
  url: sqlite:///data/dozor.db
telegram:
  base_url: {api_url}
  max_retry_delay: 2s
sources:
  - id: news
    name: News
    feed: {server.url("/news.xml")}
    interval: {INTERVAL:g}s
    allow_private: true         # the fixture server is on 127.0.0.1
topics:
  - id: strikes
    title: Strikes
    any: [strike]
""",
        encoding="utf-8",
    )
    return config


def prepared_store(config: Path, folder: Path, chats: list[int]) -> Store:
    """The service's database in `folder`, migrated, its sources synced (as after a first run),
    `chats` subscribed."""
    store = Store(f"sqlite:///{folder / 'dozor.db'}")
    store.upgrade()
    with store.session() as session:
        sync_sources(session, load_config(config).sources, datetime.now(timezone.utc))
        for chat in chats:
            subscribe(session, chat, "strikes")
    return store


# ---------------------------------------------------------------------------- Bot API outage



def refused_502(api: FakeBotApi) -> int:
    return sum(1 for f in api.failures if f["method"] == "sendMessage" and f["status"] == 502)


def settled(store: Store) -> dict[str, int]:
    with store.session() as session:
        return outbox.counts(session)


def test_telegram_down_refusing_then_502_then_hanging_queues_alerts_and_the_crawler_goes_on(tmp_path):
    """The Bot API is down in three ways in a row: connections refused, then nginx's 502 page,
    then requests taken and never answered. A new item appears in the feed in each phase. The
    feed is polled all along, each item's alert is stored, and once the API is back every chat
    gets every alert, in the order they were found.

    The issue says "for a minute"; this outage lasts 15–20 s, because telegram.max_retry_delay
    is 2 s here (10 min by default): the sender's back-off (1 s, doubling) reaches its cap within
    the first phase, and each phase lasts until the sender has met that failure (twice when
    hanging, past PTB's 5 s read timeout). A longer outage would only repeat the same capped
    retries.

    A hung send may reach the chat after all (the fake answers it when the outage ends, long
    after the sender gave up on it): every copy a chat gets beyond the first must be counted as
    a possible repeat."""
    chats = [11, 12]
    with GatedFixtureServer() as server, FakeBotApi(token=TOKEN) as api:
        feed = server.feed("/news.xml", title="News")
        config = write_config(tmp_path, server, api.base_url)
        (tmp_path / "data").mkdir()
        store = prepared_store(config, tmp_path / "data", chats)

        def stored(title: str) -> bool:
            with store.session() as session:
                return bool(session.scalar(select(func.count()).select_from(Article).where(Article.title == title)))

        def attempts() -> int:
            with store.session() as session:
                return int(session.scalar(select(func.coalesce(func.sum(Delivery.attempts), 0))))

        with DozorProcess(config, tmp_path / "dozor.log", token=TOKEN) as service:
            api.wait_for(lambda: api.polling, timeout=STARTUP, what="the bot to poll")
            outage_began = time.monotonic()
            found: list[str] = []

            api.set_down("refuse")
            found.append(feed.add_item("Strike one: refused")["title"])
            tried = attempts()
            polls = server.hits("/news.xml")
            # Nothing reaches the fake: the store tells that the sender tried (and is still owed).
            server.wait_for(lambda: stored(found[-1]) and attempts() > tried
                            and server.hits("/news.xml") >= polls + 2, timeout=10,
                            what="the item stored, a send tried and the feed polled twice while refused")

            api.set_down("502")
            found.append(feed.add_item("Strike two: 502")["title"])
            refused, polls = refused_502(api), server.hits("/news.xml")
            server.wait_for(lambda: stored(found[-1]) and refused_502(api) > refused
                            and server.hits("/news.xml") >= polls + 2, timeout=10,
                            what="the item stored, a send answered 502 and the feed polled twice")

            api.set_down("hang")
            found.append(feed.add_item("Strike three: hanging")["title"])
            polls = server.hits("/news.xml")
            # Two hung sends: the first one timed out and the sender went on to try again.
            server.wait_for(lambda: stored(found[-1]) and sends_in_flight(api) >= 2
                            and server.hits("/news.xml") >= polls + 2, timeout=15,
                            what="the item stored, a send hung, timed out and was tried again")
            outage_ended = time.monotonic()
            assert not api.sent  # nothing got through the outage
            with store.session() as session:
                assert outbox.counts(session) == {"pending": len(found) * len(chats)}

            api.set_down(None)
            # The fake may answer a hung send after all, so the chats' inboxes are not enough:
            # wait for the outbox to be settled.
            server.wait_for(lambda: settled(store) == {"sent": len(found) * len(chats)}, timeout=20,
                            what="every alert sent once the API is back")
            assert service.stop() == 0

        polls_during = [at for at in server.arrivals("/news.xml") if outage_began <= at <= outage_ended]
        gaps = [later - earlier for earlier, later in zip(polls_during, polls_during[1:])]
        assert len(polls_during) >= 6 and max(gaps) <= MAX_POLL_GAP, gaps  # the crawler never stopped
        with store.session() as session:
            repeats = outbox.possible_repeats(session)
        store.close()
        for chat in chats:
            got = titles_to(api, chat)
            assert list(dict.fromkeys(got)) == found, chat  # in the order found
        copies = sum(len(titles_to(api, chat)) for chat in chats) - len(found) * len(chats)
        assert copies <= repeats, f"{copies} extra copies, {repeats} possible repeats counted"


# ---------------------------------------------------------------------------- database


requires_namespaces = pytest.mark.skipif(
    namespace_prefix() is None,
    reason="no private mount namespace here (unshare --user --mount and unshare --mount both "
           "failed): the read-only and full-disk tests need one to mount a read-only folder or "
           "a small tmpfs without touching the machine's mounts")


class NoClearStop(AssertionError):
    """The service did not stop with a clear error when its database could not be written: it
    kept running, exited 0, or left the operator without the file's name or the remedy."""


def assert_stops_with_a_clear_error(service: DozorProcess, database: Path, advice: str, *,
                                    within: float = EXIT_WITHIN, clean: bool = True) -> None:
    """Exits non-zero within `within` seconds; stderr names the database and gives `advice`."""
    try:
        code = service.wait_exit(within)
    except AssertionError as exc:
        raise NoClearStop(str(exc)) from None
    # What the operator is told: the log's errors and plain lines, not its INFO chatter (which
    # names the database too).
    log = "\n".join(line for line in service.log_text().splitlines() if not CHATTER.match(line))
    problems = []
    if code == 0:
        problems.append("exit code 0")
    if str(database) not in log:
        problems.append(f"stderr does not name {database}")
    if not re.search(advice, log, re.IGNORECASE):
        problems.append(f"stderr does not say what to do (/{advice}/)")
    if clean and "Traceback" in log:
        problems.append("a traceback instead of an error message")
    if problems:
        raise NoClearStop(f"exit code {code}: {'; '.join(problems)}\nlog tail:\n{service.log_tail()}")


CHATTER = re.compile(r"\d{4}-\d\d-\d\d [\d:,]+ (DEBUG|INFO|WARNING) ")
FIX_PERMISSIONS = r"permission|writable"
FREE_SPACE = r"free (up )?(some )?(disk )?space|make room"


@requires_namespaces
@pytest.mark.parametrize("script, advice", [
    pytest.param(READ_ONLY_FOLDER, FIX_PERMISSIONS, id="read-only folder"),
    pytest.param(READ_ONLY_FILE, FIX_PERMISSIONS, id="read-only file in a writable folder"),
    pytest.param(FULL_DISK, FREE_SPACE, id="full disk"),
])
def test_a_database_that_cannot_be_written_at_start_stops_the_service_with_the_path_and_the_fix(
        tmp_path, script, advice):
    """The database of an earlier run, now on a read-only mount (the folder: SQLite cannot
    create its -wal and -shm files; or only the file, as after a chmod 444) or on a full disk.
    The service exits non-zero at once, naming the file and the remedy, without a traceback."""
    with FixtureServer() as server:
        server.feed("/news.xml").add_item("Strike at the plant")
        config = write_config(tmp_path, server)
        seed = tmp_path / ("seed" if script is FULL_DISK else "data")
        seed.mkdir()
        (tmp_path / "data").mkdir(exist_ok=True)
        prepared_store(config, seed, [11]).close()
        database = tmp_path / "data" / "dozor.db"

        with DozorProcess(config, tmp_path / "dozor.log",
                          prefix=confined(script, tmp_path / "data", seed)) as service:
            assert_stops_with_a_clear_error(service, database, advice)


@requires_namespaces
def test_a_disk_that_fills_up_while_the_service_runs_stops_it_with_the_path_and_the_fix(tmp_path):
    """The database's disk fills up while the service runs and a new item arrives: the service
    stops (non-zero) within seconds, naming the file and saying to free space, instead of
    failing every poll and every delivery forever."""
    with FixtureServer() as server:
        feed = server.feed("/news.xml")
        config = write_config(tmp_path, server)
        (tmp_path / "seed").mkdir()
        (tmp_path / "data").mkdir()
        prepared_store(config, tmp_path / "seed", [11]).close()
        database = tmp_path / "data" / "dozor.db"

        with DozorProcess(config, tmp_path / "dozor.log", stdin=subprocess.PIPE,
                          prefix=confined(FILLS_UP, tmp_path / "data", tmp_path / "seed")) as service:
            server.wait_for(lambda: server.hits("/news.xml") >= 2, timeout=STARTUP,
                            what="the service to poll the feed")
            assert service.process.poll() is None, service.log_tail()
            assert service.process.stdin is not None
            service.process.stdin.write(b"fill the disk\n")
            service.process.stdin.close()
            feed.add_item("Strike at the plant")
            # A logged traceback on the way out is fine here; the last word must be the error.
            assert_stops_with_a_clear_error(service, database, FREE_SPACE, clean=False)
