"""When normal alerts wait and when their digest is due: table cases in a zone without DST
(Asia/Almaty, UTC+5) and one with it (Europe/Berlin: 29 March 2026 02:00 CET → 03:00 CEST,
25 October 2026 03:00 CEST → 02:00 CET)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.digest import digest_due, heading, holds, in_quiet_hours, last_release
from monitor.store.outbox import ChatChoices

ALMATY = ZoneInfo("Asia/Almaty")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def almaty(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall time in Almaty (27 November 2026 is day 27), as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ALMATY).astimezone(UTC)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


CHAT = ChatChoices(chat_id=1)
HOURLY = replace(CHAT, digest="hourly")
DAILY_8 = replace(CHAT, digest="daily", digest_at="08:00")
NIGHT = replace(CHAT, quiet_from="23:00", quiet_until="07:00")


@pytest.mark.parametrize("chat, now, expected", [
    pytest.param(CHAT, almaty(27, 3), False, id="no choices: nothing waits"),
    pytest.param(HOURLY, almaty(27, 12), True, id="hourly digest"),
    pytest.param(DAILY_8, almaty(27, 12), True, id="daily digest"),
    pytest.param(replace(CHAT, digest="daily"), almaty(27, 12), False, id="daily without a time counts as off"),
    pytest.param(replace(CHAT, muted_until=almaty(27, 14)), almaty(27, 12), True, id="muted"),
    pytest.param(replace(CHAT, muted_until=almaty(27, 12)), almaty(27, 12), False, id="mute ended this instant"),
    pytest.param(NIGHT, almaty(27, 3), True, id="inside quiet hours that wrap midnight"),
    pytest.param(NIGHT, almaty(27, 23), True, id="quiet hours start on the minute"),
    pytest.param(NIGHT, almaty(27, 7), False, id="quiet hours end on the minute"),
    pytest.param(NIGHT, almaty(27, 12), False, id="outside quiet hours"),
])
def test_which_chats_hold_their_normal_alerts(chat, now, expected):
    assert holds(chat, now, ALMATY) is expected


@pytest.mark.parametrize("start, end, wall, expected", [
    ("13:00", "14:00", (13, 0), True),
    ("13:00", "14:00", (13, 59), True),
    ("13:00", "14:00", (14, 0), False),
    ("13:00", "14:00", (12, 59), False),
    ("22:30", "06:15", (0, 0), True),
    ("22:30", "06:15", (6, 14), True),
    ("22:30", "06:15", (6, 15), False),
    ("22:30", "06:15", (22, 29), False),
    ("22:30", None, (23, 0), False),  # half a window is no window
    ("22:30", "22:30", (22, 30), False),  # nor is an empty one
    ("bad", "06:15", (1, 0), False),
])
def test_quiet_hours_are_read_in_local_wall_time(start, end, wall, expected):
    chat = replace(CHAT, quiet_from=start, quiet_until=end)
    assert in_quiet_hours(chat, almaty(27, *wall), ALMATY) is expected


@pytest.mark.parametrize("chat, now, expected", [
    # hourly: at each local hour boundary after the last digest
    pytest.param(replace(HOURLY, last_digest_at=almaty(27, 10)), almaty(27, 10, 59), False,
                 id="hourly: nothing before the next hour"),
    pytest.param(replace(HOURLY, last_digest_at=almaty(27, 10)), almaty(27, 11), True,
                 id="hourly: on the hour"),
    pytest.param(replace(HOURLY, owed_since=almaty(27, 10, 30)), almaty(27, 10, 59), False,
                 id="hourly, never sent: the first alert waits for the next hour"),
    pytest.param(replace(HOURLY, owed_since=almaty(27, 10, 30)), almaty(27, 11), True,
                 id="hourly, never sent: the next hour releases it"),
    pytest.param(HOURLY, almaty(27, 11, 20), True,
                 id="hourly, never sent, nothing owed: an empty digest starts the clock"),
    # daily HH:MM: once a day at that local time
    pytest.param(replace(DAILY_8, last_digest_at=almaty(26, 8)), almaty(27, 7, 59), False, id="daily: a minute early"),
    pytest.param(replace(DAILY_8, last_digest_at=almaty(26, 8)), almaty(27, 8), True, id="daily: on time"),
    pytest.param(replace(DAILY_8, last_digest_at=almaty(27, 8)), almaty(27, 23, 59), False, id="daily: once a day"),
    pytest.param(replace(CHAT, digest="daily", digest_at="23:30", last_digest_at=almaty(26, 23, 30)),
                 almaty(27, 0, 10), False, id="daily 23:30: not again after midnight"),
    pytest.param(replace(CHAT, digest="daily", digest_at="23:30", last_digest_at=almaty(26, 23, 30)),
                 almaty(27, 23, 30), True, id="daily 23:30: the next evening"),
    # digests off: the end of quiet hours or of a mute releases what waited
    pytest.param(replace(NIGHT, owed_since=almaty(27, 3)), almaty(27, 6, 59), False, id="quiet: still quiet"),
    pytest.param(replace(NIGHT, owed_since=almaty(27, 3)), almaty(27, 7), True, id="quiet: window ends"),
    pytest.param(replace(NIGHT, last_digest_at=almaty(27, 7), owed_since=almaty(27, 12)), almaty(27, 12, 0), False,
                 id="quiet: a daytime alert is no digest"),
    pytest.param(replace(NIGHT, owed_since=almaty(27, 12)), almaty(27, 12, 1), False,
                 id="quiet, never sent: a daytime alert is no digest either"),
    pytest.param(replace(CHAT, muted_until=almaty(27, 12), owed_since=almaty(27, 10, 30)), almaty(27, 11, 59),
                 False, id="mute: still muted"),
    pytest.param(replace(CHAT, muted_until=almaty(27, 12), owed_since=almaty(27, 10, 30)), almaty(27, 12),
                 True, id="mute: ends"),
    pytest.param(replace(CHAT, muted_until=almaty(26, 12), owed_since=almaty(27, 14)), almaty(27, 14, 1),
                 False, id="mute: long over"),
    # a release moment inside quiet hours or a mute waits for it to end
    pytest.param(replace(HOURLY, quiet_from="23:00", quiet_until="07:00", last_digest_at=almaty(26, 22)),
                 almaty(27, 3), False, id="hourly in quiet hours: held"),
    pytest.param(replace(HOURLY, quiet_from="23:00", quiet_until="07:30", last_digest_at=almaty(26, 22)),
                 almaty(27, 7, 30), True, id="hourly: the 07:00 digest waits for quiet hours to end at 07:30"),
    pytest.param(replace(CHAT, digest="daily", digest_at="06:00", quiet_from="23:00", quiet_until="07:00",
                         last_digest_at=almaty(26, 6)), almaty(27, 6), False, id="daily 06:00 in quiet hours: held"),
    pytest.param(replace(CHAT, digest="daily", digest_at="06:00", quiet_from="23:00", quiet_until="07:00",
                         last_digest_at=almaty(26, 6)), almaty(27, 7), True, id="daily 06:00: goes at 07:00"),
    pytest.param(replace(DAILY_8, quiet_from="23:00", quiet_until="07:00", last_digest_at=almaty(26, 8)),
                 almaty(27, 7), False, id="daily 08:00: the end of quiet hours releases nothing early"),
    pytest.param(replace(HOURLY, muted_until=almaty(27, 12, 10), last_digest_at=almaty(27, 10)), almaty(27, 12),
                 False, id="hourly while muted: held"),
    pytest.param(replace(HOURLY, muted_until=almaty(27, 12, 10), last_digest_at=almaty(27, 10)),
                 almaty(27, 12, 10), True, id="hourly: the 11:00 and 12:00 digests go when the mute ends"),
])
def test_when_a_digest_is_due(chat, now, expected):
    assert digest_due(chat, now, ALMATY) is expected


@pytest.mark.parametrize("chat, now, expected", [
    # spring forward: 02:00 CET does not exist; the hour after 01:00 CET starts at 03:00 CEST
    pytest.param(HOURLY, utc(3, 29, 1, 30), utc(3, 29, 1), id="hourly: 03:00 CEST right after 01:00 CET"),
    pytest.param(HOURLY, utc(3, 29, 0, 59), utc(3, 29, 0), id="hourly: 01:00 CET"),
    # fall back: 02:00 happens twice, and each is an hour of its own
    pytest.param(HOURLY, utc(10, 25, 0, 30), utc(10, 25, 0), id="hourly: 02:00 CEST"),
    pytest.param(HOURLY, utc(10, 25, 1, 30), utc(10, 25, 1), id="hourly: 02:00 CET, an hour later"),
    pytest.param(DAILY_8, utc(3, 28, 7, 0), utc(3, 28, 7), id="daily 08:00 CET"),
    pytest.param(DAILY_8, utc(3, 29, 6, 0), utc(3, 29, 6), id="daily 08:00 CEST, 23 hours later"),
    pytest.param(DAILY_8, utc(3, 29, 5, 59), utc(3, 28, 7), id="daily: not yet in summer time"),
    pytest.param(DAILY_8, utc(10, 25, 7, 0), utc(10, 25, 7), id="daily 08:00 CET, 25 hours after CEST"),
    pytest.param(replace(CHAT, digest="daily", digest_at="02:30"), utc(3, 29, 1, 29), utc(3, 28, 1, 30),
                 id="daily 02:30 on the day it does not exist: not at 03:29 CEST"),
    pytest.param(replace(CHAT, digest="daily", digest_at="02:30"), utc(3, 29, 1, 30), utc(3, 29, 1, 30),
                 id="daily 02:30 on the day it does not exist: at 03:30 CEST"),
    pytest.param(replace(CHAT, digest="daily", digest_at="02:30"), utc(10, 25, 1, 45), utc(10, 25, 0, 30),
                 id="daily 02:30 on the day it happens twice: the first only"),
    pytest.param(replace(NIGHT, digest="off"), utc(7, 1, 5, 0), utc(7, 1, 5), id="quiet ends at 07:00 CEST"),
    pytest.param(replace(CHAT, muted_until=utc(7, 1, 9)), utc(7, 1, 10), utc(7, 1, 9), id="a mute ends"),
    pytest.param(replace(CHAT, muted_until=utc(7, 1, 9)), utc(7, 1, 8), None, id="a mute not over yet"),
    pytest.param(CHAT, utc(7, 1, 8), None, id="no choices, no release"),
])
def test_release_moments_across_dst_changes(chat, now, expected):
    assert last_release(chat, now, BERLIN) == expected


def test_quiet_hours_follow_summer_time():
    chat = replace(NIGHT, owed_since=utc(7, 1, 1))
    assert in_quiet_hours(chat, utc(7, 1, 4, 59), BERLIN)  # 06:59 CEST
    assert not digest_due(chat, utc(7, 1, 4, 59), BERLIN)
    assert digest_due(chat, utc(7, 1, 5, 0), BERLIN)  # 07:00 CEST
    assert in_quiet_hours(chat, utc(12, 1, 5, 59), BERLIN)  # 06:59 CET in winter


def test_every_hour_of_a_day_with_a_dst_change_has_exactly_one_hourly_digest():
    """Ticking each second through 29 March in Berlin (23 hours): each local hour once."""
    chat, sent = HOURLY, []
    now, end = utc(3, 28, 23), utc(3, 29, 23)
    while now < end:
        if digest_due(chat, now, BERLIN):
            sent.append(now)
            chat = replace(chat, last_digest_at=now)
        now += timedelta(seconds=30)
    assert sent[0] == utc(3, 28, 23)
    assert sent[1:] == [utc(3, 29, h) for h in range(23)]


def test_the_heading_counts_the_alerts():
    assert heading(1, "en") == "Digest: 1 alert"
    assert heading(12, None) == "Digest: 12 alerts"
