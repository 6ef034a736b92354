"""The outbox: alerts owed to chats. The sender claims due rows, sends, then marks them.

A row is marked sent only after Telegram accepted the message, so a crash in between repeats that
one message after restart (at-least-once) but never loses it. A digest settles several rows with
one message, so the marks take one id or several. Each send is announced first
(`mark_sending`, its own commit): a row found still announced when it is tried again may already
have reached the chat, and that send is counted in `repeats` (see `possible_repeats`).

Normal-priority rows to a chat that holds them (digest mode, muted, quiet hours: the bot decides
which, from `chat_choices`) are not `due`; they wait in `held` until the chat's digest goes out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from monitor.store.article_sources import other_sources
from monitor.store.models import FAILED, PENDING, SENT, Article, Delivery, Hit, Source, Subscriber

# One delivery id or several: a digest settles all its rows at once.
Ids = int | Iterable[int]


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


def due(session: Session, now: datetime, limit: int = 50, *,
        holding: Collection[int] = (), urgent: Collection[str] = ()) -> list[PendingAlert]:
    """Pending alerts that may be tried now, oldest first (so each chat gets them in order).

    A chat whose oldest pending alert is waiting for a retry gets nothing newer meanwhile:
    alerts arrive in the order they were found. Chats in `holding` (digest mode, muted, quiet
    hours) get only their `urgent` topics; their other rows wait for a digest (see `held`). They
    are left out in SQL, so however many wait, they never crowd the batch.
    """
    blocked = (
        select(Delivery.chat_id)
        .where(Delivery.status == PENDING, Delivery.next_attempt_at > now)
        .scalar_subquery()
    )
    query = (
        _alert_rows()
        .where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
        .where(Delivery.chat_id.not_in(blocked))
        .order_by(Delivery.id)
        .limit(limit)
    )
    if holding:
        query = query.where(not_(and_(Delivery.chat_id.in_(holding), Hit.topic_id.not_in(urgent))))
    return _alerts(session, query)


@dataclass(frozen=True)
class ChatChoices:
    """How a chat takes its normal-priority alerts (bot/digest.py says what each setting does),
    and what it is owed: `owed_since` is when its oldest pending normal alert was created,
    `owed_retry_at` the latest retry time among them (None when nothing is pending)."""

    chat_id: int
    language: str | None = None
    digest: str = "off"
    digest_at: str | None = None
    quiet_from: str | None = None
    quiet_until: str | None = None
    muted_until: datetime | None = None
    last_digest_at: datetime | None = None
    owed_since: datetime | None = None
    owed_retry_at: datetime | None = None


def chat_choices(session: Session, urgent: Collection[str] = ()) -> list[ChatChoices]:
    """Every chat with a digest, quiet hours, or a mute not yet followed by a digest."""
    # min/max keep the column's type, so these come back aware UTC on SQLite too.
    owed = (
        select(Delivery.chat_id, func.min(Delivery.created_at).label("since"),
               func.max(Delivery.next_attempt_at).label("retry_at"))
        .join(Hit, Delivery.hit_id == Hit.id)
        .where(Delivery.status == PENDING, Hit.topic_id.not_in(urgent))
        .group_by(Delivery.chat_id)
        .subquery()
    )
    mute_pending = and_(
        Subscriber.muted_until.is_not(None),
        or_(Subscriber.last_digest_at.is_(None), Subscriber.muted_until > Subscriber.last_digest_at),
    )
    rows = session.execute(
        select(Subscriber, owed.c.since, owed.c.retry_at)
        .outerjoin(owed, owed.c.chat_id == Subscriber.chat_id)
        .where(or_(Subscriber.digest != "off", Subscriber.quiet_from.is_not(None), mute_pending))
        .order_by(Subscriber.chat_id)
    )
    return [
        ChatChoices(row.chat_id, row.language, row.digest or "off", row.digest_at, row.quiet_from,
                    row.quiet_until, row.muted_until, row.last_digest_at, since, retry_at)
        for row, since, retry_at in rows
    ]


def held(session: Session, chat_id: int, urgent: Collection[str] = ()) -> list[PendingAlert]:
    """One chat's pending alerts outside the `urgent` topics, oldest first: its digest."""
    query = (
        _alert_rows()
        .where(Delivery.status == PENDING, Delivery.chat_id == chat_id, Hit.topic_id.not_in(urgent))
        .order_by(Delivery.id)
    )
    return _alerts(session, query)


def note_digest(session: Session, chat_id: int, now: datetime) -> None:
    """Record that the chat's digest went out (or had nothing in it) at `now`."""
    row = session.get(Subscriber, chat_id)
    if row is not None:  # the chat may have been forgotten meanwhile
        row.last_digest_at = now


def _alert_rows() -> Select[tuple[Delivery, Hit, Article, str]]:
    return (
        select(Delivery, Hit, Article, Source.name)
        .join(Hit, Delivery.hit_id == Hit.id)
        .join(Article, Hit.article_id == Article.id)
        .join(Source, Article.source_id == Source.id)
    )


def _alerts(session: Session, query: Select[tuple[Delivery, Hit, Article, str]]) -> list[PendingAlert]:
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


def mark_sending(session: Session, delivery_ids: Ids, now: datetime) -> bool:
    """Announce a send before it starts; True when the last one may have reached the chat
    already (it was announced and never answered), which makes this one a possible repeat."""
    repeat = False
    for row in _rows(session, delivery_ids):
        if row.sending_at is not None:
            row.repeats += 1
            repeat = True
        row.sending_at, row.attempts = now, row.attempts + 1
    return repeat


def mark_sent(session: Session, delivery_ids: Ids, now: datetime) -> None:
    for row in _rows(session, delivery_ids):  # a forgotten chat's rows are simply gone
        row.status, row.sent_at, row.sending_at = SENT, now, None


def mark_retry(
    session: Session, delivery_ids: Ids, now: datetime, delay: timedelta, error: str, *, maybe_sent: bool = False
) -> None:
    """Try again after `delay`. `maybe_sent`: the request may have reached Telegram (a timeout),
    so the next send is a possible repeat."""
    for row in _rows(session, delivery_ids):
        row.next_attempt_at = now + delay
        row.last_error = error
        if not maybe_sent:
            row.sending_at = None


def mark_failed(session: Session, delivery_ids: Ids, error: str) -> None:
    for row in _rows(session, delivery_ids):
        row.status, row.last_error, row.sending_at = FAILED, error, None


def _rows(session: Session, delivery_ids: Ids) -> list[Delivery]:
    ids = [delivery_ids] if isinstance(delivery_ids, int) else list(delivery_ids)
    return list(session.scalars(select(Delivery).where(Delivery.id.in_(ids)))) if ids else []


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
