"""Is an outlet silent? For an outlet that gets blocked or raided, silence is the first sign.

A source "publishes daily" when its recent history (14 days) holds at least 5 items over at least
a day, at one or more per day. Its usual gap is the 90th percentile of the gaps between items
(so nights and weekends count as usual), at least an hour. It is silent when nothing new has
appeared for 3x that gap. Pure functions: the store supplies the times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

HISTORY = timedelta(days=14)
SILENCE_FACTOR = 3
MIN_ITEMS = 5
MIN_SPAN = timedelta(days=1)
MIN_GAP = timedelta(hours=1)


def usual_gap(times: list[datetime]) -> timedelta | None:
    """The 90th-percentile gap between items, or None when the source is not a daily publisher."""
    ordered = sorted(times)
    if len(ordered) < MIN_ITEMS:
        return None
    span = ordered[-1] - ordered[0]
    if span < MIN_SPAN or len(ordered) / max(span / timedelta(days=1), 1) < 1:
        return None
    gaps = sorted(later - earlier for earlier, later in zip(ordered, ordered[1:]))
    return max(gaps[min(len(gaps) - 1, int(len(gaps) * 0.9))], MIN_GAP)


def silent_for(times: list[datetime], now: datetime) -> timedelta | None:
    """How long the source has been silent beyond its usual rhythm, or None if it is not."""
    gap = usual_gap(times)
    if gap is None:
        return None
    quiet = now - max(times)
    return quiet if quiet > gap * SILENCE_FACTOR else None
