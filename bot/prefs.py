"""What subscribers type after /digest, /quiet and /mute, parsed and checked (pure functions).

Each parser returns the value to store or raises ValueError; the handler then answers with the
translated usage and an example, so the ValueError's own text is for logs and tests only.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from monitor.config import parse_duration

OFF_WORDS = frozenset({"off", "no", "none", "0", "выкл", "нет", "өшіру", "жоқ"})
MIN_MUTE = timedelta(minutes=1)
MAX_MUTE = timedelta(days=30)
_CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})$")
_WINDOW = re.compile(r"^(\d{1,2}[:.]\d{2})\s*[-–—]\s*(\d{1,2}[:.]\d{2})$")


def is_off(text: str) -> bool:
    return text.strip().lower() in OFF_WORDS


def parse_clock(text: str) -> str:
    """"7:30", "07:30" or "7.30" → "07:30"."""
    match = _CLOCK.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"expected a time such as 08:30, got {text!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_digest(text: str) -> tuple[str, str | None]:
    """"off", "hourly" or "daily HH:MM" → (mode, time or None)."""
    words = text.lower().split()
    if len(words) == 1 and is_off(words[0]):
        return "off", None
    if words == ["hourly"]:
        return "hourly", None
    if len(words) == 2 and words[0] == "daily":
        return "daily", parse_clock(words[1])
    raise ValueError(f"expected off, hourly or daily HH:MM, got {text!r}")


def parse_quiet(text: str) -> tuple[str, str] | None:
    """"23:00-07:00" → ("23:00", "07:00"); "off" → None. The window may wrap midnight."""
    if is_off(text):
        return None
    match = _WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    start, end = parse_clock(match.group(1)), parse_clock(match.group(2))
    if start == end:
        raise ValueError("the window starts and ends at the same time")
    return start, end


def parse_mute(text: str) -> timedelta | None:
    """"30m", "2h", "1d", "1h30m" → how long (1 minute to 30 days); "off" → None."""
    if is_off(text):
        return None
    try:
        length = parse_duration(text.replace(" ", ""))
    except ValueError:
        raise ValueError(f"expected a duration such as 30m, 2h or 1d, got {text!r}") from None
    if not MIN_MUTE <= length <= MAX_MUTE:
        raise ValueError(f"a mute lasts from 1m to 30d, got {text!r}")
    return length


def local_time(when: datetime, zone: tzinfo, now: datetime) -> str:
    """"15:30" when `when` is today (local), else "28.11 15:30"."""
    local, today = when.astimezone(zone), now.astimezone(zone)
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%d.%m %H:%M")
