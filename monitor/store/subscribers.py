"""Subscribers, their topics and their choices. Nothing about a person is stored: a chat id and
what the chat chose (topics, language, digest, quiet hours, mute)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from monitor.store.models import Delivery, Subscriber, Subscription

DIGEST_MODES = ("off", "hourly", "daily")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Choices:
    """A chat's settings as the bot shows them (times are "HH:MM" in the config's timezone)."""

    language: str | None
    digest: str = "off"
    digest_at: str | None = None
    quiet_from: str | None = None
    quiet_until: str | None = None
    muted_until: datetime | None = None


def ensure_subscriber(session: Session, chat_id: int, language: str | None = None) -> Subscriber:
    """The chat's row, created on first contact; `language` is recorded if none is yet."""
    row = session.get(Subscriber, chat_id)
    if row is None:
        row = Subscriber(chat_id=chat_id, language=language)
        session.add(row)
        session.flush()
    elif row.language is None and language is not None:
        row.language = language
    return row


def subscribe(session: Session, chat_id: int, topic_id: str, language: str | None = None) -> bool:
    """Subscribe a chat to a topic; False when it already was."""
    ensure_subscriber(session, chat_id, language)
    if session.get(Subscription, (chat_id, topic_id)) is not None:
        return False
    session.add(Subscription(chat_id=chat_id, topic_id=topic_id))
    return True


def unsubscribe(session: Session, chat_id: int, topic_id: str) -> bool:
    """Drop one subscription; False when there was none."""
    result = session.execute(
        delete(Subscription).where(Subscription.chat_id == chat_id, Subscription.topic_id == topic_id)
    )
    return bool(result.rowcount)


def toggle(session: Session, chat_id: int, topic_id: str, language: str | None = None) -> bool:
    """Follow a topic, or stop following it; True when the chat follows it now."""
    if unsubscribe(session, chat_id, topic_id):
        return False
    subscribe(session, chat_id, topic_id, language)
    return True


def topics_of(session: Session, chat_id: int) -> list[str]:
    query = select(Subscription.topic_id).where(Subscription.chat_id == chat_id)
    return sorted(session.scalars(query))


def choices_of(session: Session, chat_id: int) -> Choices | None:
    """The chat's settings, or None for a chat Dozor stores nothing about."""
    row = session.get(Subscriber, chat_id)
    if row is None:
        return None
    return Choices(row.language, row.digest or "off", row.digest_at, row.quiet_from, row.quiet_until,
                   row.muted_until)


def set_language(session: Session, chat_id: int, language: str) -> None:
    ensure_subscriber(session, chat_id).language = language


def set_digest(session: Session, chat_id: int, mode: str, at: str | None = None,
               language: str | None = None) -> None:
    """"off", "hourly", or "daily" at `at` ("HH:MM", local time)."""
    if mode not in DIGEST_MODES:
        raise ValueError(f"digest mode must be one of {', '.join(DIGEST_MODES)}, not {mode!r}")
    if (mode == "daily") != (at is not None):
        raise ValueError("a daily digest needs its time (HH:MM); the other modes take none")
    row = ensure_subscriber(session, chat_id, language)
    row.digest, row.digest_at = mode, _clock(at) if at else None


def set_quiet(session: Session, chat_id: int, start: str | None, end: str | None,
              language: str | None = None) -> None:
    """A daily quiet window from `start` to `end` ("HH:MM", may wrap midnight); None, None clears it."""
    if (start is None) != (end is None):
        raise ValueError("quiet hours need both ends, or neither to clear them")
    if start is not None and _clock(start) == _clock(end or ""):
        raise ValueError("quiet hours must not start and end at the same time")
    row = ensure_subscriber(session, chat_id, language)
    row.quiet_from = _clock(start) if start else None
    row.quiet_until = _clock(end) if end else None


def set_mute(session: Session, chat_id: int, until: datetime | None, language: str | None = None) -> None:
    """Hold normal alerts until `until` (aware); None unmutes."""
    ensure_subscriber(session, chat_id, language).muted_until = until


def forget(session: Session, chat_id: int) -> bool:
    """Delete everything stored about a chat (subscriptions and owed alerts cascade)."""
    row = session.get(Subscriber, chat_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def move_chat(session: Session, old_id: int, new_id: int) -> None:
    """A group became a supergroup (a new chat id): its choices, topics and owed alerts move to
    the new id. What the new id already has is kept; the old id is forgotten."""
    old = session.get(Subscriber, old_id)
    if old is None:
        return
    new = session.get(Subscriber, new_id)
    if new is None:
        columns = {c.key: getattr(old, c.key) for c in Subscriber.__table__.columns if c.key != "chat_id"}
        session.add(Subscriber(chat_id=new_id, **columns))
        session.flush()
    have = set(session.scalars(select(Subscription.topic_id).where(Subscription.chat_id == new_id)))
    session.execute(update(Subscription).where(Subscription.chat_id == old_id,
                                               Subscription.topic_id.not_in(have)).values(chat_id=new_id))
    owed = select(Delivery.hit_id).where(Delivery.chat_id == new_id).scalar_subquery()
    session.execute(update(Delivery).where(Delivery.chat_id == old_id, Delivery.hit_id.not_in(owed))
                    .values(chat_id=new_id))
    session.delete(old)  # cascades what could not move (already at the new id)
    session.flush()


def count_subscribers(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Subscriber)) or 0)


def _clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError(f"expected a time as HH:MM (00:00–23:59), got {value!r}")
    return value
