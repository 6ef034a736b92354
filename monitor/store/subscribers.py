"""Subscribers and their topics. Nothing about a person is stored: a chat id and choices."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.store.models import Subscriber, Subscription


def ensure_subscriber(session: Session, chat_id: int, language: str | None = None) -> Subscriber:
    row = session.get(Subscriber, chat_id)
    if row is None:
        row = Subscriber(chat_id=chat_id, language=language)
        session.add(row)
        session.flush()
    return row


def subscribe(session: Session, chat_id: int, topic_id: str) -> bool:
    """Subscribe a chat to a topic; False when it already was."""
    ensure_subscriber(session, chat_id)
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


def topics_of(session: Session, chat_id: int) -> list[str]:
    query = select(Subscription.topic_id).where(Subscription.chat_id == chat_id)
    return sorted(session.scalars(query))


def forget(session: Session, chat_id: int) -> bool:
    """Delete everything stored about a chat (subscriptions and owed alerts cascade)."""
    row = session.get(Subscriber, chat_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def count_subscribers(session: Session) -> int:
    return len(session.scalars(select(Subscriber.chat_id)).all())
