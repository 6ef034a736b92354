"""Source rows: keep them in step with config, claim the due ones, record each outcome.

Scheduling lives here, in the store, so any number of workers can share it: a claim moves
`next_check_at` forward by a lease and names its holder, so a crashed crawl is retried, not lost:
at once when its machine's next `dozor run` starts (`release_orphaned`), else after the lease.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.config import SourceConfig, format_duration
from monitor.health import HISTORY, silent_for
from monitor.store.events import SOURCE_BACK, SOURCE_BROKEN, SOURCE_PAUSED, SOURCE_SILENT, record_event
from monitor.store.models import Article, Crawler, Source


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
    """Insert new sources (due now), refresh changed ones, deactivate the ones removed.

    Several processes may do this at once (workers starting together, or all reloading one
    edit): new rows are inserted with ON CONFLICT DO NOTHING, so the second one is a no-op."""
    known = set(session.scalars(select(Source.id)))
    new = [source for source in sources if source.id not in known]
    if new:
        session.execute(_insert_ignoring_duplicates(session).values([
            {"id": source.id, "kind": source.kind, "url": source.url, "name": source.label,
             "active": source.enabled, "next_check_at": now, "consecutive_failures": 0, "empty_polls": 0}
            for source in new]))
    rows = {row.id: row for row in session.scalars(select(Source))}
    wanted = {source.id for source in sources if source.enabled}
    for source in sources:
        row = rows[source.id]
        if row.url != source.url or row.kind != source.kind:
            # A new URL has its own validators; the old ETag would wrongly answer 304.
            row.url, row.etag, row.last_modified, row.next_check_at = source.url, None, None, now
            row.kind = source.kind
        row.name = source.label
        row.active = source.id in wanted
    for row_id, row in rows.items():
        if row_id not in wanted:
            row.active = False


def _insert_ignoring_duplicates(session: Session):  # type: ignore[no-untyped-def]
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(Source).on_conflict_do_nothing(index_elements=[Source.id])


def claim_due(session: Session, now: datetime, limit: int = 100, holder: str | None = None) -> list[SourceClaim]:
    """Claim active sources whose check is due, oldest first, leasing them for CLAIM_LEASE to
    `holder` ("host/pid", see `release_orphaned`)."""
    query = (
        select(Source)
        .where(Source.active.is_(True), Source.paused_at.is_(None), Source.next_check_at <= now)
        .order_by(Source.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return _lease(session, list(session.scalars(query)), now, holder)


def claim_all(session: Session, now: datetime, holder: str | None = None) -> list[SourceClaim]:
    """Claim every active source, due or not (`dozor run --once`)."""
    query = select(Source).where(Source.active.is_(True), Source.paused_at.is_(None)).order_by(Source.id)
    return _lease(session, list(session.scalars(query.with_for_update(skip_locked=True))), now, holder)


def _lease(session: Session, rows: list[Source], now: datetime, holder: str | None) -> list[SourceClaim]:
    for row in rows:
        row.next_check_at = now + CLAIM_LEASE
        row.claimed_by, row.claimed_at = holder, now
    session.flush()
    return [SourceClaim(row.id, row.url, row.etag, row.last_modified) for row in rows]


def record_outcome(
    session: Session,
    source_id: str,
    outcome: Outcome,
    interval: timedelta,
    now: datetime,
    pause_after: int | None = None,
) -> Source:
    """Update health and pick the next check time; pause after `pause_after` failures in a row."""
    row = session.get_one(Source, source_id)
    row.last_checked_at = now
    row.claimed_by = None
    if outcome.error:
        row.consecutive_failures += 1
        row.last_error, row.last_error_at = outcome.error, now
        delay = backoff(interval, row.consecutive_failures)
        if pause_after and row.consecutive_failures >= pause_after and row.paused_at is None:
            _pause(session, row, now)
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
    # The interval runs from when the check started (its claim), not from when it was recorded:
    # otherwise every check drifts later by its own duration (a 30 s source every 31 s). A back-off
    # or a server's Retry-After counts from its answer.
    started = now
    if not outcome.error and not outcome.retry_after and row.claimed_at and row.claimed_at <= now:
        started = row.claimed_at
    row.next_check_at = max(started + delay, now)
    row.claimed_at = None
    return row


def _pause(session: Session, row: Source, now: datetime) -> None:
    row.paused_at = now
    record_event(
        session, SOURCE_PAUSED, source_id=row.id, now=now,
        message=(f"Source {row.id} ({row.name}) is paused after {row.consecutive_failures} failed "
                 f"checks in a row. Last error: {row.last_error}. Fix its URL in config.yaml or "
                 f"resume it with: dozor resume {row.id}"),
    )


def resume(session: Session, source_id: str, now: datetime) -> bool:
    """Unpause a source and make it due now; False when there is no such source."""
    row = session.get(Source, source_id)
    if row is None:
        return False
    row.paused_at, row.consecutive_failures, row.next_check_at = None, 0, now
    return True


def check_silence(session: Session, source_id: str, now: datetime) -> None:
    """Flag a daily publisher that went quiet (once), and clear the flag when it speaks again."""
    row = session.get_one(Source, source_id)
    times = list(session.scalars(
        select(Article.published_at).where(Article.source_id == source_id,
                                           Article.published_at >= now - HISTORY)
    ))
    quiet = silent_for(times, now) if times else None
    if quiet and row.silent_since is None:
        row.silent_since = now
        record_event(
            session, SOURCE_SILENT, source_id=row.id, now=now,
            message=(f"Source {row.id} ({row.name}) usually publishes daily but has had nothing new "
                     f"for {format_duration(quiet)}. Check the site: it may be blocked, down or "
                     f"have changed its feed."),
        )
    elif row.silent_since is not None and times and not quiet:
        row.silent_since = None
        record_event(session, SOURCE_BACK, source_id=row.id, now=now,
                     message=f"Source {row.id} ({row.name}) is publishing again.")


def record_yield(
    session: Session, source_id: str, empty: str | None, now: datetime, broken_after: int
) -> Source:
    """After a crawl that read its site: `empty` says why it found nothing (None: it found links
    and text). Marks the source BROKEN after `broken_after` empty polls in a row, telling the
    admins once, and clears that when it yields again."""
    row = session.get_one(Source, source_id)
    if empty is None:
        row.last_yield_at, row.empty_polls = now, 0
        if row.broken_since is not None:
            row.broken_since = row.broken_reason = None
            record_event(session, SOURCE_BACK, source_id=row.id, now=now,
                         message=f"Source {row.id} ({row.name}) finds articles again.")
        return row
    row.empty_polls += 1
    if row.empty_polls >= broken_after and row.broken_since is None:
        row.broken_since, row.broken_reason = now, empty
        since = (f"it last found articles {row.last_yield_at:%Y-%m-%d %H:%M} UTC"
                 if row.last_yield_at else "it has not found any yet")
        record_event(
            session, SOURCE_BROKEN, source_id=row.id, now=now,
            message=(f"Source {row.id} ({row.name}) looks broken: {empty} ({row.empty_polls} "
                     f"checks in a row; {since}). The site's markup has probably changed: fix "
                     f"the selectors in config.yaml (try them with: dozor crawl {row.id} --dry-run)."),
        )
    return row


def items_since(session: Session, since: datetime) -> dict[str, int]:
    """New articles per source fetched since `since` (for the health table)."""
    rows = session.execute(
        select(Article.source_id, func.count()).where(Article.fetched_at >= since).group_by(Article.source_id)
    )
    return {source_id: count for source_id, count in rows}


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
        session.execute(update(Source).where(Source.id.in_(source_ids))
                        .values(next_check_at=now, claimed_by=None, claimed_at=None))


def beat(session: Session, holder: str, now: datetime) -> None:
    """`holder` is alive (a crawler's heartbeat, every few seconds)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Crawler).values(holder=holder, seen_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=[Crawler.holder], set_={"seen_at": now}))


def release_stale(session: Session, now: datetime, silent_for: timedelta) -> list[str]:
    """Make due now the sources claimed by crawlers silent for `silent_for` (a worker on another
    machine that died), instead of waiting out the lease; the ids released. Claims without a
    holder, or younger than `silent_for`, are left alone."""
    alive = select(Crawler.holder).where(Crawler.seen_at > now - silent_for)
    rows = session.scalars(select(Source).where(
        Source.claimed_by.is_not(None), Source.claimed_by.not_in(alive),
        Source.claimed_at < now - silent_for)).all()
    for row in rows:
        row.next_check_at, row.claimed_by, row.claimed_at = now, None, None
    return [row.id for row in rows]


def release_orphaned(session: Session, now: datetime, host: str, is_alive: Callable[[int], bool]) -> list[str]:
    """Make due now the sources claimed by processes on `host` that are gone (killed mid-crawl),
    rather than leave them unchecked until the lease runs out; the ids released.

    Claims from other machines are left to their lease: whether their process lives cannot be
    told from here."""
    rows = session.scalars(select(Source).where(Source.claimed_by.like(f"{host}/%"))).all()
    released = []
    for row in rows:
        pid = row.claimed_by.rpartition("/")[2] if row.claimed_by else ""
        if pid.isdigit() and is_alive(int(pid)):
            continue
        row.next_check_at, row.claimed_by, row.claimed_at = now, None, None
        released.append(row.id)
    return released


def all_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.active.desc(), Source.id)))
