"""The outbox: alerts owed to chats. The sender claims due rows, sends, then marks them.

A row is marked sent only after Telegram accepted the message, so a crash in between repeats that
one message after restart (at-least-once) but never loses it. Each send is announced first
(`mark_sending`, its own commit): a row found still announced when it is tried again may already
have reached the chat, and that send is counted in `repeats` (see `possible_repeats`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.store.article_sources import other_sources
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
    fetched_at: datetime | None = None
    # Every source that brought the article, the first one first (names, for the message).
    sources: tuple[str, ...] = ()


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
    rows = session.execute(query).all()
    also = other_sources(session, {article.id for _, _, article, _ in rows})
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
            fetched_at=article.fetched_at,
            sources=_names(source_name or article.source_id, also.get(article.id, [])),
        )
        for delivery, hit, article, source_name in rows
    ]


def _names(first: str, others: list[str]) -> tuple[str, ...]:
    return (first, *(name for name in dict.fromkeys(others) if name != first))


def mark_sending(session: Session, delivery_id: int, now: datetime) -> bool:
    """Announce a send before it starts; True when the last one may have reached the chat
    already (it was announced and never answered), which makes this one a possible repeat."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        return False
    repeat = row.sending_at is not None
    if repeat:
        row.repeats += 1
    row.sending_at, row.attempts = now, row.attempts + 1
    return repeat


def mark_sent(session: Session, delivery_id: int, now: datetime) -> None:
    row = session.get(Delivery, delivery_id)
    if row is not None:  # the chat may have been forgotten meanwhile
        row.status, row.sent_at, row.sending_at = SENT, now, None


def mark_retry(
    session: Session, delivery_id: int, now: datetime, delay: timedelta, error: str, *, maybe_sent: bool = False
) -> None:
    """Try again after `delay`. `maybe_sent`: the request may have reached Telegram (a timeout),
    so the next send is a possible repeat."""
    row = session.get(Delivery, delivery_id)
    if row is not None:
        row.next_attempt_at = now + delay
        row.last_error = error
        if not maybe_sent:
            row.sending_at = None


def mark_failed(session: Session, delivery_id: int, error: str) -> None:
    row = session.get(Delivery, delivery_id)
    if row is not None:
        row.status, row.last_error, row.sending_at = FAILED, error, None


def postpone_all(session: Session, until: datetime) -> None:
    """Push every due alert back (Telegram asked us to pause: a 429's retry_after)."""
    for row in session.scalars(
        select(Delivery).where(Delivery.status == PENDING, Delivery.next_attempt_at < until)
    ):
        row.next_attempt_at = until


def possible_repeats(session: Session) -> int:
    """How many sends may have repeated a message the chat already had (crash or timeout mid-send)."""
    return int(session.scalar(select(func.coalesce(func.sum(Delivery.repeats), 0))) or 0)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: n for status, n in rows}
