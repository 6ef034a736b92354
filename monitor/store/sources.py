"""Source rows: keep them in step with config, claim the due ones, record each outcome.

Scheduling lives here, in the store, so any number of workers can share it later: a claim moves
`next_check_at` forward by a lease, so a crashed crawl is retried after the lease, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.config import SourceConfig
from monitor.store.models import Source

CLAIM_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=24)
# Failures before exponential back-off starts: one blip should not slow a source down.
BACKOFF_AFTER = 2


@dataclass(frozen=True)
class SourceClaim:
    """A source leased for one poll, with the validators of its last good response."""

    source_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one poll of a source produced, as the store records it."""

    error: str | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    new_items: int = 0
    retry_after: timedelta | None = None


def sync_sources(session: Session, sources: list[SourceConfig], now: datetime) -> None:
    """Insert new sources (due now), refresh changed ones, deactivate the ones removed."""
    rows = {row.id: row for row in session.scalars(select(Source))}
    wanted = {source.id for source in sources if source.enabled}
    for source in sources:
        row = rows.get(source.id)
        if row is None:
            row = Source(id=source.id, kind="feed", url=source.feed, next_check_at=now)
            row.consecutive_failures = 0
            session.add(row)
        elif row.url != source.feed:
            # A new URL has its own validators; the old ETag would wrongly answer 304.
            row.url, row.etag, row.last_modified, row.next_check_at = source.feed, None, None, now
        row.name = source.label
        row.active = source.id in wanted
    for row_id, row in rows.items():
        if row_id not in wanted:
            row.active = False


def claim_due(session: Session, now: datetime, limit: int = 100) -> list[SourceClaim]:
    """Claim active sources whose check is due, oldest first, leasing them for CLAIM_LEASE."""
    query = (
        select(Source)
        .where(Source.active.is_(True), Source.next_check_at <= now)
        .order_by(Source.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return _lease(session, list(session.scalars(query)), now)


def claim_all(session: Session, now: datetime) -> list[SourceClaim]:
    """Claim every active source, due or not (`dozor run --once`)."""
    query = select(Source).where(Source.active.is_(True)).order_by(Source.id)
    return _lease(session, list(session.scalars(query.with_for_update(skip_locked=True))), now)


def _lease(session: Session, rows: list[Source], now: datetime) -> list[SourceClaim]:
    for row in rows:
        row.next_check_at = now + CLAIM_LEASE
    session.flush()
    return [SourceClaim(row.id, row.url, row.etag, row.last_modified) for row in rows]


def record_outcome(
    session: Session, source_id: str, outcome: Outcome, interval: timedelta, now: datetime
) -> Source:
    """Update health and pick the next check time from the outcome."""
    row = session.get_one(Source, source_id)
    row.last_checked_at = now
    if outcome.error:
        row.consecutive_failures += 1
        row.last_error, row.last_error_at = outcome.error, now
        delay = backoff(interval, row.consecutive_failures)
    else:
        row.consecutive_failures = 0
        row.last_success_at = now
        if not outcome.not_modified:
            row.etag, row.last_modified = outcome.etag, outcome.last_modified
        if outcome.new_items:
            row.last_new_item_at = now
        delay = interval
    if outcome.retry_after:
        delay = max(delay, min(outcome.retry_after, MAX_BACKOFF))
    row.next_check_at = now + delay
    return row


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The interval, doubled for each failure past BACKOFF_AFTER, capped at 24 h."""
    if failures <= BACKOFF_AFTER:
        return interval
    # 2**20 intervals exceed a day for any interval of a second or more; a bigger power overflows.
    factor = 2 ** min(failures - BACKOFF_AFTER, 20)
    return min(interval * factor, max(interval, MAX_BACKOFF))


def release(session: Session, source_ids: list[str], now: datetime) -> None:
    """Make claimed sources due again (a crawl interrupted by shutdown)."""
    if source_ids:
        session.execute(update(Source).where(Source.id.in_(source_ids)).values(next_check_at=now))


def all_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.active.desc(), Source.id)))
