"""Digests, quiet hours and mutes against the fake Bot API: the real TelegramSender on a fake clock.

Normal alerts to a chat in digest mode, muted or in its quiet hours wait and arrive as one digest
when it is due; urgent topics go at once, at 3 a.m. too. Times are Almaty's (UTC+5, the config's
default zone). The test moves the clock, then waits for whole delivery rounds (`wait_ticks`)
before saying nothing was sent: it never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from html import escape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from monitor.config import Config
from monitor.store import outbox
from monitor.store.db import Store
from monitor.store.models import Delivery, Subscriber, Subscription
from tests.support.delivery import TOKEN, FakeClock, RunningSender, choose, owe
from tests.support.fake_telegram import FakeBotApi
from tests.support.telegram_html import MAX_TEXT, visible_text

ALMATY = ZoneInfo("Asia/Almaty")


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A wall time in Almaty in November 2026, as UTC."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=ALMATY).astimezone(timezone.utc)


def config_for(api: FakeBotApi, **telegram: object) -> Config:
    return Config.model_validate({
        "telegram": {"base_url": api.base_url, **telegram},
        "sources": [{"id": "vlast", "name": "Vlast.kz", "feed": "https://vlast.kz/rss"}],
        "topics": [{"id": "strikes", "title": "Strikes", "any": ["strike"]},
                   {"id": "arrests", "title": "Arrests", "any": ["arrest"], "priority": "urgent"}],
    })


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(token=TOKEN) as fake:
        yield fake


def shown(message: dict) -> list[str]:
    return visible_text(message["text"]).split("\n")


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return outbox.counts(session)


def last_digest_at(store: Store, chat: int) -> datetime | None:
    with store.session() as session:
        return session.get(Subscriber, chat).last_digest_at


# ---------------------------------------------------------------------------- digests


def test_an_hourly_digest_gathers_normal_alerts_and_sends_them_on_the_hour(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 10, 20))
    owe(store, config, [1], [], clock())
    choose(store, 1, digest="hourly", last_digest_at=local(27, 10))

    with RunningSender(config, store, clock) as sender:
        first = owe(store, config, [1], ["Strike one", "Strike <two> & more"], clock())
        clock.set(local(27, 10, 40))
        owe(store, config, [1], ["Strike three"], clock())
        clock.set(local(27, 10, 59, 59))
        sender.wait_ticks()
        assert api.messages_to(1) == []  # nothing before the hour
        clock.set(local(27, 11))
        [digest] = api.wait_for(lambda: api.messages_to(1))
        sender.wait_ticks()

    assert digest["parse_mode"] == "HTML" and digest["link_preview_options"] == {"is_disabled": True}
    assert shown(digest) == ["📰 Digest: 3 alerts", "• Strike one — Vlast.kz",
                             "• Strike <two> & more — Vlast.kz", "• Strike three — Vlast.kz"]
    assert f'<a href="{escape(first[0])}">Strike one</a>' in digest["text"]
    assert len(api.messages_to(1)) == 1
    assert counts(store) == {"sent": 3}
    assert last_digest_at(store, 1) == local(27, 11)


def test_a_daily_digest_goes_once_at_its_local_time(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 7))
    owe(store, config, [1], [], clock())
    choose(store, 1, digest="daily", digest_at="08:00", last_digest_at=local(26, 8))

    with RunningSender(config, store, clock) as sender:
        owe(store, config, [1], ["Strike one", "Strike two"], clock())
        clock.set(local(27, 7, 59, 59))
        sender.wait_ticks()
        assert api.messages_to(1) == []
        clock.set(local(27, 8))
        [digest] = api.wait_for(lambda: api.messages_to(1))
        clock.set(local(27, 8, 0, 30))
        owe(store, config, [1], ["Strike three"], clock())  # waits for tomorrow's digest
        clock.set(local(27, 23, 59))
        sender.wait_ticks()

    assert shown(digest) == ["📰 Digest: 2 alerts", "• Strike one — Vlast.kz", "• Strike two — Vlast.kz"]
    assert len(api.messages_to(1)) == 1
    assert counts(store) == {"sent": 2, "pending": 1}


def test_a_digest_with_nothing_in_it_sends_nothing_but_counts_as_had(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 10, 20))
    owe(store, config, [1], [], clock())
    choose(store, 1, digest="hourly", last_digest_at=local(27, 10))

    with RunningSender(config, store, clock) as sender:
        clock.set(local(27, 11))
        sender.wait_ticks()

    assert api.sent == []
    assert last_digest_at(store, 1) == local(27, 11)


def test_urgent_topics_bypass_a_digest(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 10, 20))
    owe(store, config, [1], [], clock())
    choose(store, 1, digest="hourly", last_digest_at=local(27, 10))

    with RunningSender(config, store, clock) as sender:
        owe(store, config, [1], ["Strike at the port"], clock())
        owe(store, config, [1], ["Journalist arrested"], clock(), topic="arrests", term="arrest")
        [urgent] = api.wait_for(lambda: api.messages_to(1))
        sender.wait_ticks()

    assert shown(urgent)[:2] == ["🔔 Arrests", "Journalist arrested"]
    assert len(api.messages_to(1)) == 1
    assert counts(store) == {"sent": 1, "pending": 1}


def test_an_overlong_digest_is_split_and_nothing_is_lost(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 10, 20))
    owe(store, config, [1], [], clock())
    choose(store, 1, digest="hourly", last_digest_at=local(27, 10))
    titles = [f"Strike {n:02d} & <more> " + "x" * 260 for n in range(25)]
    owe(store, config, [1], titles, clock(), url="https://vlast.kz/{topic}/" + "p" * 200 + "/{n}")

    with RunningSender(config, store, clock):
        clock.set(local(27, 11))
        api.wait_for(lambda: counts(store) == {"sent": 25}, timeout=15)

    parts = api.messages_to(1)
    assert len(parts) > 1
    for n, part in enumerate(parts, start=1):
        assert len(part["text"]) <= MAX_TEXT
        assert shown(part)[0] == f"📰 Digest: 25 alerts ({n}/{len(parts)})"
    lines = [line for part in parts for line in shown(part)[1:]]
    assert lines == [f"• {title} — Vlast.kz" for title in titles]  # each once, in order


def test_a_digest_to_a_chat_that_blocked_the_bot_forgets_the_chat(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 10, 20))
    owe(store, config, [1, 2], ["Strike one", "Strike two"], clock())
    for chat in (1, 2):
        choose(store, chat, digest="hourly", last_digest_at=local(27, 10))
    api.block_bot(2)

    with RunningSender(config, store, clock) as sender:
        clock.set(local(27, 11))
        api.wait_for(lambda: api.messages_to(1) and api.failures)
        sender.wait_ticks()

    assert [f["chat_id"] for f in api.failures] == [2]  # tried once, then forgotten
    with store.session() as session:
        for table in (Subscriber, Subscription, Delivery):
            assert session.scalar(select(func.count()).select_from(table).where(table.chat_id == 2)) == 0
    assert counts(store) == {"sent": 2}


def test_a_digest_held_for_a_day_is_not_given_up_when_telegram_fails_at_release(store, api):
    """The 24 h give-up counts from the digest's time, not from when the alerts were found."""
    config = config_for(api, max_retry_delay="1s")
    clock = FakeClock(local(26, 7))
    owe(store, config, [1], ["Strike one", "Strike two"], clock())
    choose(store, 1, digest="daily", digest_at="08:00", last_digest_at=local(26, 8))
    api.fail("sendMessage", 500, "Internal Server Error", chat_id=1)

    with RunningSender(config, store, clock) as sender:
        clock.set(local(27, 8))  # 25 hours after the alerts were found
        api.wait_for(lambda: api.failures)
        sender.wait_ticks()
        assert counts(store) == {"pending": 2}
        clock.advance(timedelta(seconds=2))  # the back-off is over
        [digest] = api.wait_for(lambda: api.messages_to(1))

    assert shown(digest)[0] == "📰 Digest: 2 alerts"
    assert counts(store) == {"sent": 2}


def test_a_429_on_a_digest_pauses_everything_then_the_whole_digest_goes(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 10, 20))
    owe(store, config, [1], ["Strike one", "Strike two"], clock())
    choose(store, 1, digest="hourly", last_digest_at=local(27, 10))
    api.fail("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)

    with RunningSender(config, store, clock) as sender:
        clock.set(local(27, 11))
        api.wait_for(lambda: api.failures)
        sender.wait_ticks()  # the sender has taken the 429 in (its pause runs on this clock)
        clock.advance(timedelta(seconds=4))
        sender.wait_ticks()
        assert api.messages_to(1) == []  # retry_after is not over yet
        clock.advance(timedelta(seconds=1))
        [digest] = api.wait_for(lambda: api.messages_to(1))

    assert shown(digest) == ["📰 Digest: 2 alerts", "• Strike one — Vlast.kz", "• Strike two — Vlast.kz"]
    assert counts(store) == {"sent": 2}
    with store.session() as session:
        assert outbox.possible_repeats(session) == 0  # a 429 is an answer: nothing went out


# ---------------------------------------------------------------------------- quiet hours and mutes


def test_quiet_hours_hold_a_normal_alert_while_an_urgent_one_goes_through_at_3am(store, api):
    config = config_for(api)
    clock = FakeClock(local(28, 3))
    owe(store, config, [1, 2], [], clock())
    choose(store, 1, quiet_from="23:00", quiet_until="07:00")

    with RunningSender(config, store, clock) as sender:
        owe(store, config, [1, 2], ["Oil workers strike in Aktau"], clock())
        owe(store, config, [1], ["Journalist arrested in Almaty"], clock(), topic="arrests", term="arrest")
        api.wait_for(lambda: api.messages_to(1) and api.messages_to(2))
        sender.wait_ticks()
        [urgent] = api.messages_to(1)
        assert shown(urgent)[:2] == ["🔔 Arrests", "Journalist arrested in Almaty"]
        assert shown(api.messages_to(2)[0])[1] == "Oil workers strike in Aktau"  # chat 2 has no quiet hours
        clock.set(local(28, 6, 59, 59))
        sender.wait_ticks()
        assert len(api.messages_to(1)) == 1

        clock.set(local(28, 7))  # the window ends: what waited comes as one digest
        _, digest = api.wait_for(lambda: api.messages_to(1)[1:] and api.messages_to(1))

    assert shown(digest) == ["📰 Digest: 1 alert", "• Oil workers strike in Aktau — Vlast.kz"]
    assert digest["link_preview_options"] == {"is_disabled": True}
    assert counts(store) == {"sent": 3}


def test_after_quiet_hours_new_alerts_go_one_by_one_again(store, api):
    config = config_for(api)
    clock = FakeClock(local(28, 7))
    owe(store, config, [1], [], clock())
    choose(store, 1, quiet_from="23:00", quiet_until="07:00", last_digest_at=local(28, 7))

    with RunningSender(config, store, clock):
        clock.set(local(28, 12))
        owe(store, config, [1], ["Strike at noon"], clock())
        [alert] = api.wait_for(lambda: api.messages_to(1))

    assert shown(alert)[:2] == ["🔔 Strikes", "Strike at noon"]


def test_a_two_hour_mute_holds_normal_alerts_and_delivers_them_as_a_digest_when_it_ends(store, api):
    config = config_for(api)
    clock = FakeClock(local(27, 12))
    owe(store, config, [1], [], clock())
    choose(store, 1, muted_until=clock() + timedelta(hours=2))

    with RunningSender(config, store, clock) as sender:
        owe(store, config, [1], ["Strike one"], clock())
        clock.advance(timedelta(minutes=30))
        owe(store, config, [1], ["Strike two"], clock())
        owe(store, config, [1], ["Journalist arrested"], clock(), topic="arrests", term="arrest")
        [urgent] = api.wait_for(lambda: api.messages_to(1))
        clock.set(local(27, 13, 59, 59))
        sender.wait_ticks()
        assert api.messages_to(1) == [urgent]

        clock.set(local(27, 14))
        _, digest = api.wait_for(lambda: api.messages_to(1)[1:] and api.messages_to(1))

    assert shown(urgent)[1] == "Journalist arrested"
    assert shown(digest) == ["📰 Digest: 2 alerts", "• Strike one — Vlast.kz", "• Strike two — Vlast.kz"]
    assert counts(store) == {"sent": 3}
    assert last_digest_at(store, 1) == local(27, 14)


# ---------------------------------------------------------------------------- the outbox


def test_held_rows_never_crowd_the_batch(store, api):
    """Sixty rows held for chat 1 and one owed to chat 2: a batch of 50 still finds chat 2's."""
    config = config_for(api)
    now = local(27, 10)
    owe(store, config, [1], [f"Strike {n}" for n in range(60)], now)
    owe(store, config, [1], ["Journalist arrested"], now, topic="arrests", term="arrest")
    owe(store, config, [2], ["Strike elsewhere"], now, url="https://vlast.kz/other/{n}")  # chat 1's too

    with store.session() as session:
        due = outbox.due(session, now, limit=50, holding={1}, urgent={"arrests"})
        held = outbox.held(session, 1, urgent={"arrests"})

    assert [(a.chat_id, a.title) for a in due] == [(1, "Journalist arrested"), (2, "Strike elsewhere")]
    assert [a.title for a in held] == [*(f"Strike {n}" for n in range(60)), "Strike elsewhere"]


def test_chat_choices_lists_only_chats_with_a_choice_and_what_they_are_owed(store, api):
    config = config_for(api)
    now = local(27, 10)
    owe(store, config, [1, 2, 3, 4], ["Strike one"], now)
    owe(store, config, [1], ["Journalist arrested"], local(27, 9), topic="arrests", term="arrest")
    choose(store, 1, digest="hourly")
    choose(store, 2, muted_until=local(27, 9), last_digest_at=local(27, 9, 30))  # mute over, digest had
    choose(store, 3, quiet_from="23:00", quiet_until="07:00", language="ru")

    with store.session() as session:
        chats = outbox.chat_choices(session, urgent={"arrests"})

    assert [(c.chat_id, c.digest, c.language, c.owed_since) for c in chats] == [
        (1, "hourly", None, now), (3, "off", "ru", now)]
    assert chats[0].owed_since.tzinfo is not None


def test_a_digest_announced_and_never_answered_counts_each_row_as_a_possible_repeat(store, api):
    config = config_for(api)
    now = local(27, 10)
    owe(store, config, [1], ["Strike one", "Strike two"], now)
    with store.session() as session:
        rows = [a.delivery_id for a in outbox.held(session, 1)]
        assert outbox.mark_sending(session, rows, now) is False
    with store.session() as session:  # a crash came between: the same digest is announced again
        assert outbox.mark_sending(session, rows, now) is True
        outbox.mark_sent(session, rows, now)
    with store.session() as session:
        assert outbox.possible_repeats(session) == 2
        assert outbox.counts(session) == {"sent": 2}
