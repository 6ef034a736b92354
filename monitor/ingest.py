"""A fetched feed → its new items → (their pages' main text) → matches → stored, in two steps.

`read_feed` parses the response and keeps the items not seen before; the runtime then fetches the
pages of those items for `fetch_article` sources; `record_feed` matches and stores everything in
one transaction and updates the source's health. Both are blocking (feedparser, trafilatura, the
database): the runtime parses in a worker process, hands `read_feed` the parsed feed, and runs
both on its database thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from monitor.config import Config
from monitor.fetch import FetchResult
from monitor.match import Matcher
from monitor.parse import FeedItem, ParsedFeed, parse_feed
from monitor.store.article_sources import note_sources
from monitor.store.articles import MatchedItem, NewHit, store_items, unseen_urls
from monitor.store.db import Store
from monitor.store.sources import Outcome, check_silence, record_outcome

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(minutes=10)


@dataclass(frozen=True)
class FeedRead:
    """A feed response read: its new items, or why it could not be used."""

    result: FetchResult
    new_items: list[FeedItem] = field(default_factory=list)
    total_items: int = 0
    problem: str | None = None
    # The items' URLs already stored: another source's articles among them get this one noted.
    known_urls: tuple[str, ...] = ()

    @property
    def source_id(self) -> str:
        return self.result.key


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


def read_feed(store: Store, result: FetchResult, now: datetime, parsed: ParsedFeed | None = None) -> FeedRead:
    """Parse a response (unless the caller parsed it already, elsewhere) and keep the items no
    source has brought before."""
    if result.problem or result.not_modified:
        return FeedRead(result, problem=result.problem)
    if parsed is None:
        parsed = parse_feed(result.body, result.url, result.headers, now)
    if parsed.problem:
        return FeedRead(result, problem=parsed.problem)
    with store.session() as session:
        fresh = unseen_urls(session, [(item.url, item.guid) for item in parsed.items])
    new = [item for item in parsed.items if item.url in fresh]
    known = tuple(item.url for item in parsed.items if item.url not in fresh)
    return FeedRead(result, new_items=new, total_items=len(parsed.items), known_urls=known)


def record_feed(
    store: Store, config: Config, matcher: Matcher, read: FeedRead, texts: dict[str, str], now: datetime
) -> PollReport:
    """Match the new items (with their page text when fetched), store them, update health."""
    source = config.source(read.source_id)
    interval = source.interval if source else DEFAULT_INTERVAL
    result = read.result
    matched = [_matched(matcher, item, texts.get(item.url)) for item in read.new_items]
    with store.session() as session:
        stored = store_items(session, read.source_id, matched, now) if matched else None
        # After store_items: a new item another source stored meanwhile is noted too.
        note_sources(session, read.source_id, [*read.known_urls, *(i.url for i in read.new_items)], now)
        outcome = Outcome(
            error=read.problem,
            not_modified=result.not_modified,
            etag=result.headers.get("etag"),
            last_modified=result.headers.get("last-modified"),
            new_items=stored.new_articles if stored else 0,
            retry_after=parse_retry_after(result.retry_after, now) if read.problem else None,
        )
        row = record_outcome(session, read.source_id, outcome, interval, now, config.fetch.pause_after)
        if not read.problem:
            check_silence(session, read.source_id, now)
        failures, next_check, paused = row.consecutive_failures, row.next_check_at, row.paused_at
    report = PollReport(
        read.source_id, result.url, error=read.problem, not_modified=result.not_modified,
        items=read.total_items, new_articles=stored.new_articles if stored else 0,
        hits=stored.hits if stored else [],
    )
    _log(report, failures, next_check, paused is not None)
    return report


def _matched(matcher: Matcher, item: FeedItem, text: str | None) -> MatchedItem:
    body = f"{item.summary}\n{text}" if text else item.summary
    return MatchedItem(item, matcher.match(item.title, body), text=text)


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


def _log(report: PollReport, failures: int, next_check: datetime | None, paused: bool) -> None:
    due = "paused (dozor resume to restart)" if paused else (
        f"next check {next_check:%H:%M:%S} UTC" if next_check else "next check ?")
    if report.error:
        log.warning("source=%s url=%s failed: %s (failure %d in a row; %s)",
                    report.source_id, report.url, report.error, failures, due)
    elif report.not_modified:
        log.info("source=%s url=%s not modified; %s", report.source_id, report.url, due)
    else:
        log.info("source=%s url=%s items=%d new=%d hits=%d; %s", report.source_id, report.url,
                 report.items, report.new_articles, len(report.hits), due)
    for hit in report.hits:
        log.info("source=%s topic=%s hit url=%s deliveries=%d",
                 hit.source_id, hit.topic_id, hit.url, hit.deliveries)
