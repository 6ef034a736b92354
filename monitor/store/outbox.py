"""The outbox: alerts owed to chats. The sender claims due rows, sends, then marks them.

A row is marked sent only after Telegram accepted the message, so a crash in between repeats that
one message after restart (at-least-once) but never loses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.models import FAILED, PENDING, SENT, Article, Delivery, Hit, Source


@dataclass(frozen=True)
class PendingAlert:
    """Everything needed to write one alert message."""

    delivery_id: int
    chat_id: int
    attempts: int
    created_at: datetime
    topic_id: str
    terms: tuple[str, ...]
    title: str
    url: str
    source_name: str
    published_at: datetime | None
    snippet: str | None = None
    snippet_marks: tuple[tuple[int, int], ...] = ()


def due(session: Session, now: datetime, limit: int = 50) -> list[PendingAlert]:
    """Pending alerts that may be tried now, oldest first (so each chat gets them in order).

    A chat whose oldest pending alert is waiting for a retry gets nothing newer meanwhile:
    alerts arrive in the order they were found.
    """
    blocked = (
        select(Delivery.chat_id)
        .where(Delivery.status == PENDING, Delivery.next_attempt_at > now)
        .scalar_subquery()
    )
    query = (
        select(Delivery, Hit, Article, Source.name)
        .join(Hit, Delivery.hit_id == Hit.id)
        .join(Article, Hit.article_id == Article.id)
        .join(Source, Article.source_id == Source.id)
        .where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
        .where(Delivery.chat_id.not_in(blocked))
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [
        PendingAlert(
            delivery_id=delivery.id,
            chat_id=delivery.chat_id,
            attempts=delivery.attempts,
            created_at=delivery.created_at,
            topic_id=hit.topic_id,
            terms=tuple(hit.terms),
            title=article.title,
            url=article.canonical_url,
            source_name=source_name or article.source_id,
            published_at=article.published_at,
            snippet=hit.snippet,
            snippet_marks=tuple((int(s), int(e)) for s, e in hit.snippet_marks or ()),
        )
        for delivery, hit, article, source_name in session.execute(query)
    ]


def mark_sent(session: Session, delivery_id: int, now: datetime) -> None:
    row = session.get(Delivery, delivery_id)
    if row is not None:  # the chat may have been forgotten meanwhile
        row.status, row.sent_at, row.attempts = SENT, now, row.attempts + 1


def mark_retry(session: Session, delivery_id: int, now: datetime, delay: timedelta, error: str) -> None:
    row = session.get(Delivery, delivery_id)
    if row is not None:
        row.attempts += 1
        row.next_attempt_at = now + delay
        row.last_error = error


def mark_failed(session: Session, delivery_id: int, error: str) -> None:
    row = session.get(Delivery, delivery_id)
    if row is not None:
        row.status, row.last_error = FAILED, error
        row.attempts += 1


def postpone_all(session: Session, until: datetime) -> None:
    """Push every due alert back (Telegram asked us to pause: a 429's retry_after)."""
    for row in session.scalars(
        select(Delivery).where(Delivery.status == PENDING, Delivery.next_attempt_at < until)
    ):
        row.next_attempt_at = until


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: n for status, n in rows}
