"""Operator events: what admins must hear about, queued in the store for the bot to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.models import FAILED, PENDING, SENT, OperatorEvent

SOURCE_PAUSED = "source_paused"
SOURCE_SILENT = "source_silent"
SOURCE_BACK = "source_back"
SOURCE_BROKEN = "source_broken"  # a crawled source's selectors stopped finding anything


@dataclass(frozen=True)
class PendingEvent:
    event_id: int
    kind: str
    source_id: str | None
    message: str
    attempts: int
    created_at: datetime


def record_event(session: Session, kind: str, message: str, now: datetime, source_id: str | None = None) -> None:
    session.add(OperatorEvent(kind=kind, source_id=source_id, message=message, status=PENDING,
                              attempts=0, next_attempt_at=now, created_at=now))


def record_event_once(session: Session, kind: str, message: str, now: datetime, within: timedelta,
                      source_id: str | None = None) -> bool:
    """Record the event unless the same one was recorded in the last `within` (several
    processes, or one process retrying, see the same problem); True when recorded."""
    query = select(OperatorEvent.id).where(
        OperatorEvent.kind == kind, OperatorEvent.message == message, OperatorEvent.created_at > now - within
    ).limit(1)
    if session.scalar(query) is not None:
        return False
    record_event(session, kind, message, now, source_id)
    return True


def due_events(session: Session, now: datetime, limit: int = 20) -> list[PendingEvent]:
    query = (
        select(OperatorEvent)
        .where(OperatorEvent.status == PENDING, OperatorEvent.next_attempt_at <= now)
        .order_by(OperatorEvent.id)
        .limit(limit)
    )
    return [PendingEvent(e.id, e.kind, e.source_id, e.message, e.attempts, e.created_at)
            for e in session.scalars(query)]


def mark_event_sent(session: Session, event_id: int, now: datetime) -> None:
    row = session.get_one(OperatorEvent, event_id)
    row.status, row.sent_at, row.attempts = SENT, now, row.attempts + 1


def mark_event_retry(session: Session, event_id: int, now: datetime, delay: timedelta) -> None:
    row = session.get_one(OperatorEvent, event_id)
    row.attempts += 1
    row.next_attempt_at = now + delay


def mark_event_failed(session: Session, event_id: int) -> None:
    session.get_one(OperatorEvent, event_id).status = FAILED


def recent_events(session: Session, limit: int = 20) -> list[OperatorEvent]:
    return list(session.scalars(select(OperatorEvent).order_by(OperatorEvent.id.desc()).limit(limit)))
