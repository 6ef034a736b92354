"""Counts for the operators' /stats: subscribers, subscriptions per topic, today's work, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from monitor.store.models import Delivery, Hit, Subscription
from monitor.store.subscribers import count_subscribers


@dataclass(frozen=True)
class Stats:
    subscribers: int
    subscriptions: dict[str, int]  # topic id → chats subscribed
    hits_since: int  # hits stored since `since`
    alerts_since: int  # alerts Telegram accepted since `since`
    deliveries: dict[str, int]  # outbox rows by status ("pending", "sent", "failed", …)


def gather(session: Session, since: datetime) -> Stats:
    """Everything /stats shows; `since` is usually the start of today in the config's timezone."""
    per_topic = session.execute(
        select(Subscription.topic_id, func.count()).group_by(Subscription.topic_id)
    )
    by_status = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return Stats(
        subscribers=count_subscribers(session),
        subscriptions={topic_id: n for topic_id, n in per_topic},
        hits_since=_count(session, select(func.count()).select_from(Hit).where(Hit.created_at >= since)),
        alerts_since=_count(session, select(func.count()).select_from(Delivery).where(Delivery.sent_at >= since)),
        deliveries={status: n for status, n in by_status},
    )


def _count(session: Session, query: Select[tuple[int]]) -> int:
    return int(session.scalar(query) or 0)
