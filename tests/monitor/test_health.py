"""Silent outlets: a daily publisher quiet for 3x its usual gap is flagged; others never are."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.health import silent_for, usual_gap

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def every(gap: timedelta, count: int, last: datetime) -> list[datetime]:
    return [last - gap * n for n in range(count)]


def office_hours(days: int, last_day: datetime) -> list[datetime]:
    """Eight items a day between 09:00 and 17:00, nothing at night."""
    return [last_day - timedelta(days=d) + timedelta(hours=9 + h) for d in range(days) for h in range(8)]


@pytest.mark.parametrize(
    ("times", "quiet"),
    [
        (every(2 * HOUR, 30, NOW - 7 * HOUR), True),        # every 2 h, silent for 7 h (> 3 x 2 h)
        (every(2 * HOUR, 30, NOW - 5 * HOUR), False),       # silent for 5 h: within its rhythm
        (every(24 * HOUR, 10, NOW - 4 * 24 * HOUR), True),  # daily outlet, 4 days quiet
        (every(72 * HOUR, 10, NOW - 10 * 24 * HOUR), False),  # not a daily publisher: never flagged
        (every(HOUR, 3, NOW - 50 * HOUR), False),           # too little history to judge
    ],
)
def test_silence(times, quiet):
    assert (silent_for(times, NOW) is not None) is quiet


def test_nights_are_part_of_an_office_hours_outlets_rhythm():
    start = datetime(2026, 11, 13, tzinfo=timezone.utc)
    times = office_hours(14, start + timedelta(days=13))
    assert usual_gap(times) == timedelta(hours=17)   # the overnight gap, not the 1-hour daytime one
    morning_after = start + timedelta(days=14, hours=8)
    assert silent_for(times, morning_after) is None
    assert silent_for(times, morning_after + timedelta(days=2)) is not None
