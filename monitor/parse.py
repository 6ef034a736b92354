"""Feed bytes → normalised items. Pure: no I/O, safe to run in a worker thread."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import feedparser

from monitor.normalise import canonical_url, plain_text

# A date this far in the future is a publisher's mistake; use the fetch time instead.
_FUTURE_SLACK = timedelta(days=1)
_EARLIEST = datetime(1995, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FeedItem:
    """One article as every later stage sees it, whatever format it came in."""

    url: str
    guid: str | None
    title: str
    summary: str
    published_at: datetime
    language: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    items: list[FeedItem]
    title: str
    problem: str | None = None  # set when the feed could not be read at all


def parse_feed(body: bytes, url: str, headers: dict[str, str], now: datetime) -> ParsedFeed:
    """Parse RSS/Atom bytes with the HTTP headers (they carry the charset)."""
    response_headers = {**headers, "content-location": url}
    parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=False)
    entries = parsed.get("entries") or []
    if not entries and parsed.get("bozo") and not parsed.get("feed"):
        reason = parsed.get("bozo_exception")
        return ParsedFeed([], "", problem=f"not a readable feed: {reason}")
    language = parsed.get("feed", {}).get("language")
    items = [item for entry in entries if (item := _item(entry, url, language, now))]
    return ParsedFeed(items=items, title=plain_text(parsed.get("feed", {}).get("title")))


def _item(entry: Any, feed_url: str, language: str | None, now: datetime) -> FeedItem | None:
    link = entry.get("link") or ""
    guid = entry.get("id") or None
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None  # nothing to send a reader to, and nothing to de-duplicate on
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    return FeedItem(
        url=canonical_url(link, base=feed_url),
        guid=guid,
        title=plain_text(entry.get("title")),
        summary=plain_text(summary),
        published_at=_published(entry, now),
        language=entry.get("language") or language,
    )


def _published(entry: Any, now: datetime) -> datetime:
    struct = entry.get("published_parsed") or entry.get("updated_parsed")
    if not struct:
        return now
    value = datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)
    if value > now + _FUTURE_SLACK or value < _EARLIEST:
        return now
    return value
