"""Feed bytes → normalised items. Pure: no I/O, safe to run in a worker thread.

    parse_feed ── JSON object?  yes ── jsonfeed.read_json_feed ──┐
                                no ─── xmlfeed.read_xml_feed ────┴── RawFeed ── FeedItem per entry

Readers raise NotAFeed with the reason; parse_feed returns it as `problem`, never raises for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from monitor.feedmodel import NotAFeed, RawEntry, RawFeed
from monitor.jsonfeed import looks_like_json_feed, read_json_feed
from monitor.language import guess_language, language_tag
from monitor.normalise import canonical_url, clean_text, published_time
from monitor.xmlfeed import read_xml_feed

_HEADLINE = 120  # characters of summary that stand in for a missing title


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
    format: str = ""  # "rss20", "atom10", "json1.1" … as detected
    encoding: str | None = None  # how the bytes were decoded
    skipped: int = 0  # entries dropped for having no http(s) link


def parse_feed(body: bytes, url: str, headers: Mapping[str, str], now: datetime) -> ParsedFeed:
    """Detect the format, read it and normalise the items; HTTP headers carry the charset."""
    headers = {key.lower(): value for key, value in headers.items()}
    try:
        if looks_like_json_feed(body, headers.get("content-type", "")):
            raw = read_json_feed(body, headers)
        else:
            raw = read_xml_feed(body, url, headers)
    except NotAFeed as exc:
        return ParsedFeed([], "", problem=str(exc))
    items = [item for entry in raw.entries if (item := _item(entry, raw, url, now))]
    return ParsedFeed(items, raw.title, format=raw.format, encoding=raw.encoding,
                      skipped=len(raw.entries) - len(items))


def _item(entry: RawEntry, feed: RawFeed, feed_url: str, now: datetime) -> FeedItem | None:
    guid = clean_text(entry.guid) or None
    link = entry.link or (guid if guid and guid.startswith(("http://", "https://")) else "")
    url = canonical_url(link, base=feed_url) if link else ""
    if not url.startswith(("http://", "https://")):
        return None  # nothing to send a reader to (or a javascript: link), and nothing to de-duplicate on
    title = entry.title or _headline(entry.summary)
    language = (language_tag(entry.language) or language_tag(feed.language)
                or guess_language(f"{title} {entry.summary[:1000]}"))
    return FeedItem(url=url, guid=guid, title=title, summary=entry.summary,
                    published_at=published_time(entry.published, now), language=language)


def _headline(summary: str) -> str:
    """The start of the summary, cut at a word, for entries with no title (common in JSON Feeds)."""
    if len(summary) <= _HEADLINE:
        return summary
    cut = summary[:_HEADLINE].rsplit(" ", 1)[0] or summary[:_HEADLINE]
    return cut.rstrip(" ,.;:") + "…"
