"""Parsing what subscribers type after /digest, /quiet and /mute (bot/prefs.py): pure, table-driven."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.prefs import local_time, parse_clock, parse_digest, parse_mute, parse_quiet


@pytest.mark.parametrize(("typed", "expected"), [
    ("off", ("off", None)),
    ("OFF", ("off", None)),
    ("выкл", ("off", None)),
    ("hourly", ("hourly", None)),
    ("daily 08:30", ("daily", "08:30")),
    ("daily 8:30", ("daily", "08:30")),
    ("Daily 21.05", ("daily", "21:05")),
])
def test_digest_settings_that_are_understood(typed: str, expected: tuple[str, str | None]) -> None:
    assert parse_digest(typed) == expected


@pytest.mark.parametrize("typed", ["daily", "daily 24:00", "daily 8:60", "weekly", "hourly 08:00", "daily 8"])
def test_digest_settings_that_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_digest(typed)


@pytest.mark.parametrize(("typed", "expected"), [
    ("23:00-07:00", ("23:00", "07:00")),  # wraps midnight
    ("7.00 - 9:30", ("07:00", "09:30")),
    ("13:00–14:00", ("13:00", "14:00")),  # an en dash, as phones like to put
    ("off", None),
])
def test_quiet_windows_that_are_understood(typed: str, expected: tuple[str, str] | None) -> None:
    assert parse_quiet(typed) == expected


@pytest.mark.parametrize("typed", ["23:00", "23:00-23:00", "25:00-07:00", "night", "23-07"])
def test_quiet_windows_that_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_quiet(typed)


@pytest.mark.parametrize(("typed", "expected"), [
    ("30m", timedelta(minutes=30)),
    ("2h", timedelta(hours=2)),
    ("1d", timedelta(days=1)),
    ("1h 30m", timedelta(hours=1, minutes=30)),
    ("30d", timedelta(days=30)),
    ("off", None),
])
def test_mute_lengths_that_are_understood(typed: str, expected: timedelta | None) -> None:
    assert parse_mute(typed) == expected


@pytest.mark.parametrize("typed", ["2", "30s", "31d", "forever", "-2h", "2x"])
def test_mute_lengths_that_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_mute(typed)


def test_clock_times_are_zero_padded() -> None:
    assert parse_clock("7:05") == "07:05"


def test_local_time_shows_the_date_only_when_it_is_not_today() -> None:
    almaty = ZoneInfo("Asia/Almaty")  # UTC+5
    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)  # 17:00 in Almaty
    assert local_time(now + timedelta(hours=2), almaty, now) == "19:00"
    assert local_time(now + timedelta(hours=8), almaty, now) == "28.11 01:00"
