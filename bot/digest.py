"""When a chat's normal-priority alerts wait, and when they go out together as one digest.

A chat *holds* its normal alerts while it is in digest mode (hourly, or daily at HH:MM), muted, or
inside its quiet window (local wall time; the window may wrap midnight). Urgent topics are never
held: the caller leaves them out before asking.

A chat's digest is *due* once a release moment has passed since its last digest (or since its
oldest owed alert, when that is later) and the chat is neither muted nor quiet now:

    digest hourly       every local hour boundary (HH:00)
    digest daily HH:MM  that local time, once a day
    digest off          the end of the quiet window, each day; the end of a mute

A release moment inside a quiet window or a mute waits for it to end (an hourly digest due at 03:00
in quiet hours 23:00–07:00 goes at 07:00). Wall times are read in the config's zone and compared as
UTC instants, so hour boundaries and HH:MM stay right on both sides of a DST change; a daily time
that does not exist that day (the spring-forward gap) comes an hour later.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.i18n import DEFAULT_LANGUAGE, translator
from monitor.store.outbox import ChatChoices

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def holds(chat: ChatChoices, now: datetime, zone: ZoneInfo) -> bool:
    """True while the chat's normal alerts must wait (digest mode, muted, or quiet hours)."""
    return _mode(chat) != "off" or is_silenced(chat, now, zone)


def is_silenced(chat: ChatChoices, now: datetime, zone: ZoneInfo) -> bool:
    """Muted, or inside the quiet window: no normal message at all, digests included."""
    return (chat.muted_until is not None and now < chat.muted_until) or in_quiet_hours(chat, now, zone)


def in_quiet_hours(chat: ChatChoices, now: datetime, zone: ZoneInfo) -> bool:
    start, end = _clock(chat.quiet_from), _clock(chat.quiet_until)
    if start is None or end is None or start == end:
        return False
    wall = now.astimezone(zone).time().replace(tzinfo=None)
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end  # wraps midnight, e.g. 23:00–07:00


def digest_due(chat: ChatChoices, now: datetime, zone: ZoneInfo) -> bool:
    """True when the chat should get its digest now (see the module docstring)."""
    if is_silenced(chat, now, zone):
        return False
    released = last_release(chat, now, zone)
    since = max((t for t in (chat.last_digest_at, chat.owed_since) if t is not None), default=EPOCH)
    return released is not None and released > since


def last_release(chat: ChatChoices, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The latest release moment at or before `now` (UTC), or None when the chat has none."""
    mode = _mode(chat)
    if mode == "hourly":
        local = now.astimezone(zone)  # fold is kept, so the repeated autumn hour counts twice
        return local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    if mode == "daily":
        return _last_daily(_clock(chat.digest_at), now, zone)  # type: ignore[arg-type]
    moments: list[datetime] = []
    quiet_end = _clock(chat.quiet_until)
    if _clock(chat.quiet_from) is not None and quiet_end is not None:
        moments.append(_last_daily(quiet_end, now, zone))
    if chat.muted_until is not None and chat.muted_until <= now:
        moments.append(chat.muted_until)
    return max(moments, default=None)


def heading(count: int, language: str | None) -> str:
    """The digest's first line, in the chat's language ("Digest: 5 alerts")."""
    try:
        _ = translator(language or DEFAULT_LANGUAGE)
    except OSError as exc:  # a catalog missing from the install: an English digest beats none
        log.warning("digest heading left in English: %s (bot/locales is incomplete; reinstall Dozor)", exc)
        _ = str
    return _("Digest: 1 alert") if count == 1 else _("Digest: {count} alerts").format(count=count)


def _last_daily(at: time, now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    for day in (local.date(), local.date() - timedelta(days=1)):
        moment = datetime.combine(day, at, tzinfo=zone).astimezone(timezone.utc)
        if moment <= now:
            return moment
    # Only when a DST gap pushed yesterday's time (say 23:30) past `now`, just after midnight.
    return datetime.combine(local.date() - timedelta(days=2), at, tzinfo=zone).astimezone(timezone.utc)


def _mode(chat: ChatChoices) -> str:
    """The digest mode in force: a daily digest without a readable time counts as off."""
    if chat.digest == "hourly" or (chat.digest == "daily" and _clock(chat.digest_at) is not None):
        return chat.digest
    return "off"


def _clock(text: str | None) -> time | None:
    """"07:30" → 07:30; None or anything unreadable → None (the commands store HH:MM only)."""
    try:
        hours, minutes = (text or "").split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None
