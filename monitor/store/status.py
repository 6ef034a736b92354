"""What `dozor status` counts: source health, today's hits, the outbox, subscribers, recent events.

Pure reads: each function takes a session (and `now`), so the same numbers serve the rich screen,
the --json health check and the tests. "Today" starts at local midnight in the config's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timezone, tzinfo
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from monitor.store.models import FAILED, PENDING, SENT, Delivery, Hit, OperatorEvent, Source, Subscriber, Subscription

EVENTS_SHOWN = 3


@dataclass(frozen=True)
class SourceHealth:
    """Active sources by state. A source can be failing and silent at once, so the flags overlap;
    `healthy` has none of them and has succeeded at least once; `unchecked` has never been tried."""

    active: int = 0
    healthy: int = 0
    failing: int = 0
    paused: int = 0
    silent: int = 0
    broken: int = 0
    unchecked: int = 0
    disabled: int = 0  # removed from config or `enabled: false`; not polled


@dataclass(frozen=True)
class Problem:
    """One active source that needs a look, with what is wrong in `dozor sources` words."""

    source_id: str
    state: str


@dataclass(frozen=True)
class Event:
    """One operator event, as the admins were (or will be) told it."""

    created_at: datetime
    kind: str
    source_id: str | None
    message: str
    status: str


@dataclass(frozen=True)
class Status:
    """Everything `dozor status` shows, for one moment."""

    now: datetime
    today_since: datetime  # local midnight, as UTC
    sources: SourceHealth
    problems: tuple[Problem, ...]
    last_crawl: datetime | None
    hits_today: Mapping[str, int]  # topic id → hits stored since `today_since`
    deliveries: Mapping[str, int]  # outbox rows by status: pending, sent, failed (zeros included)
    sent_today: int
    possible_repeats: int
    subscribers: int
    subscriptions: Mapping[str, int]  # topic id → chats subscribed
    events: tuple[Event, ...]  # newest first


def local_midnight(now: datetime, zone: tzinfo) -> datetime:
    """The start of `now`'s day in `zone`, in UTC (built from the date, so DST days are right)."""
    day = now.astimezone(zone).date()
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def gather(session: Session, now: datetime, zone: tzinfo) -> Status:
    """Read every count `dozor status` shows."""
    since = local_midnight(now, zone)
    rows = list(session.scalars(select(Source).order_by(Source.id)))
    return Status(
        now=now,
        today_since=since,
        sources=source_health(rows),
        problems=problems(rows),
        last_crawl=max((r.last_checked_at for r in rows if r.last_checked_at), default=None),
        hits_today=_grouped(session, select(Hit.topic_id, func.count())
                            .where(Hit.created_at >= since).group_by(Hit.topic_id)),
        deliveries={PENDING: 0, SENT: 0, FAILED: 0} | _grouped(
            session, select(Delivery.status, func.count()).group_by(Delivery.status)),
        sent_today=_count(session, select(func.count()).select_from(Delivery)
                          .where(Delivery.status == SENT, Delivery.sent_at >= since)),
        possible_repeats=_count(session, select(func.coalesce(func.sum(Delivery.repeats), 0))),
        subscribers=_count(session, select(func.count()).select_from(Subscriber)),
        subscriptions=_grouped(session, select(Subscription.topic_id, func.count())
                               .group_by(Subscription.topic_id)),
        events=last_events(session),
    )


def source_health(rows: list[Source]) -> SourceHealth:
    """Count the sources by state (see SourceHealth for how the states overlap)."""
    active = [row for row in rows if row.active]
    flagged = [_flags(row) for row in active]
    return SourceHealth(
        active=len(active),
        healthy=sum(1 for row, flags in zip(active, flagged) if not flags and row.last_success_at),
        failing=sum("failing" in flags for flags in flagged),
        paused=sum("paused" in flags for flags in flagged),
        silent=sum("silent" in flags for flags in flagged),
        broken=sum("broken" in flags for flags in flagged),
        unchecked=sum(1 for row, flags in zip(active, flagged) if not flags and not row.last_success_at),
        disabled=len(rows) - len(active),
    )


def problems(rows: list[Source]) -> tuple[Problem, ...]:
    """Active sources with a flag, the worst first: paused, broken, failing, then silent."""
    found = []
    for row in rows:
        flags = _flags(row) if row.active else []
        if flags:
            words = [f"failing ({row.consecutive_failures})" if f == "failing" else f.upper() for f in flags]
            found.append((_SEVERITY.index(flags[0]), Problem(row.id, ", ".join(words))))
    return tuple(problem for _, problem in sorted(found, key=lambda pair: pair[0]))


_SEVERITY = ("paused", "broken", "failing", "silent")


def _flags(row: Source) -> list[str]:
    if row.paused_at is not None:
        return ["paused"]  # a paused source is not polled: its other flags are stale
    # `broken_since` arrived with migration 0007; read it defensively so an older model still works.
    flags = ["broken"] if getattr(row, "broken_since", None) is not None else []
    if row.consecutive_failures:
        flags.append("failing")
    if row.silent_since is not None:
        flags.append("silent")
    return flags


def last_events(session: Session, limit: int = EVENTS_SHOWN) -> tuple[Event, ...]:
    """The newest operator events, newest first."""
    query = select(OperatorEvent).order_by(OperatorEvent.id.desc()).limit(limit)
    return tuple(Event(e.created_at, e.kind, e.source_id, e.message, e.status) for e in session.scalars(query))


def _grouped(session: Session, query: Select[Any]) -> dict[str, int]:
    return {str(key): int(n) for key, n in session.execute(query)}


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)
