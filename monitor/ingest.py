"""One fetched response → parsed items → matches → stored articles, hits and outbox rows.

Blocking (feedparser and the database), so the runtime calls it in a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from monitor.config import Config
from monitor.fetch import FetchResult
from monitor.match import Matcher
from monitor.parse import parse_feed
from monitor.store.articles import MatchedItem, NewHit, store_items
from monitor.store.db import Store
from monitor.store.sources import Outcome, record_outcome

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(minutes=10)


@dataclass(frozen=True)
class PollReport:
    """What one poll of one source did, for logs, `--once` and tests."""

    source_id: str
    url: str
    error: str | None = None
    not_modified: bool = False
    items: int = 0
    new_articles: int = 0
    hits: list[NewHit] = field(default_factory=list)


def ingest(store: Store, config: Config, matcher: Matcher, result: FetchResult, now: datetime) -> PollReport:
    """Record one source's fetch result; never raises for bad input from the web."""
    source = config.source(result.key)
    interval = source.interval if source else DEFAULT_INTERVAL
    retry_after = parse_retry_after(result.retry_after, now) if result.problem else None
    if result.problem or result.not_modified:
        outcome = Outcome(error=result.problem, not_modified=result.not_modified, retry_after=retry_after)
        with store.session() as session:
            row = record_outcome(session, result.key, outcome, interval, now)
        report = PollReport(result.key, result.url, error=result.problem, not_modified=result.not_modified)
        _log(report, row.consecutive_failures, row.next_check_at)
        return report

    parsed = parse_feed(result.body, result.url, result.headers, now)
    matched = [MatchedItem(item, matcher.match(item.title, item.summary)) for item in parsed.items]
    with store.session() as session:
        stored = store_items(session, result.key, matched, now) if not parsed.problem else None
        outcome = Outcome(
            error=parsed.problem,
            etag=result.headers.get("etag"),
            last_modified=result.headers.get("last-modified"),
            new_items=stored.new_articles if stored else 0,
        )
        row = record_outcome(session, result.key, outcome, interval, now)
    report = PollReport(
        result.key,
        result.url,
        error=parsed.problem,
        items=len(parsed.items),
        new_articles=stored.new_articles if stored else 0,
        hits=stored.hits if stored else [],
    )
    _log(report, row.consecutive_failures, row.next_check_at)
    return report


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when - now, timedelta()) if when.tzinfo else None


def _log(report: PollReport, failures: int, next_check: datetime | None) -> None:
    due = next_check.strftime("%H:%M:%S") if next_check else "?"
    if report.error:
        log.warning(
            "source=%s url=%s failed: %s (failure %d in a row; next check %s UTC)",
            report.source_id, report.url, report.error, failures, due,
        )
    elif report.not_modified:
        log.info("source=%s url=%s not modified; next check %s UTC", report.source_id, report.url, due)
    else:
        log.info(
            "source=%s url=%s items=%d new=%d hits=%d; next check %s UTC",
            report.source_id, report.url, report.items, report.new_articles, len(report.hits), due,
        )
    for hit in report.hits:
        log.info("source=%s topic=%s hit url=%s deliveries=%d", hit.source_id, hit.topic_id, hit.url, hit.deliveries)
