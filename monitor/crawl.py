"""Crawled sources (listing, sitemap, spider): one crawl per source, stored by the feeds' ingest.

    crawl_source ── spider_for(source) ── runner.crawl ── CrawlReport (links, articles, errors)
    record_crawl ── as_feed_read ── ingest.record_feed (match, store, health) ── record_yield (rot)

Only new links are fetched: the spider asks `links` (the store's `unseen_urls`, given by the
caller) before requesting an article page. Selector rot, a site read fine but yielding no links
or no text, is judged here (`emptiness`) and kept on the source row by the store.
"""

from __future__ import annotations

import logging
from datetime import datetime

from scrapy.crawler import AsyncCrawlerRunner

from monitor.config import Config, SourceConfig
from monitor.fetch import FetchResult
from monitor.ingest import FeedRead, PollReport, record_feed
from monitor.language import guess_language, language_tag
from monitor.match import Matcher
from monitor.normalise import published_time
from monitor.parse import FeedItem
from monitor.spiders import spider_for
from monitor.spiders.base import MAX_ARTICLES, ArticleItem, CrawlReport, LinkFilter, everything_new
from monitor.store.db import Store
from monitor.store.sources import record_yield

log = logging.getLogger(__name__)

_HEADLINE = 120


async def crawl_source(
    runner: AsyncCrawlerRunner,
    source: SourceConfig,
    links: LinkFilter = everything_new,
    max_articles: int = MAX_ARTICLES,
) -> CrawlReport:
    """Crawl one source now; `links` keeps only the article URLs not stored yet."""
    report = CrawlReport(source.id)
    await runner.crawl(spider_for(source), source=source, links=links, report=report,
                       max_articles=max_articles)
    return report


def emptiness(report: CrawlReport) -> str | None:
    """Why a crawl that read its site found nothing to use (selector rot); None when it did."""
    if report.error:
        return None  # a failure to fetch, counted as such: not rot
    if not report.links:
        return "its pages list no article links"
    if report.articles and len(report.empty_pages) == len(report.articles):
        return f"none of the {len(report.articles)} new article pages it read had any text"
    return None


def record_crawl(store: Store, config: Config, matcher: Matcher, report: CrawlReport, now: datetime) -> PollReport:
    """Match and store the new articles, update the source's health and its rot state."""
    source = config.source(report.source_id)
    read, texts = as_feed_read(report, source.url if source else "", now)
    poll = record_feed(store, config, matcher, read, texts, now)
    empty = emptiness(report)
    if not report.error:
        with store.session() as session:
            row = record_yield(session, report.source_id, empty, now, config.fetch.broken_after)
            polls, broken = row.empty_polls, row.broken_since is not None
        if empty:
            log.warning("source=%s url=%s: %s (%d polls in a row%s); check its selectors with: "
                        "dozor crawl %s --dry-run", report.source_id, read.result.url, empty, polls,
                        "; marked BROKEN" if broken else "", report.source_id)
    return poll


def as_feed_read(report: CrawlReport, url: str, now: datetime) -> tuple[FeedRead, dict[str, str]]:
    """The crawl as ingest reads a feed: its new articles as feed items, and their texts by URL."""
    headers = {"retry-after": report.retry_after} if report.retry_after else {}
    result = FetchResult(key=report.source_id, url=url, status=None if report.error else 200,
                         headers=headers, error=report.error)
    new = set(report.new_links)
    read = FeedRead(
        result,
        new_items=[feed_item(article, now) for article in report.articles],
        total_items=len(report.links),
        problem=report.error,
        known_urls=tuple(link for link in report.links if link not in new),
    )
    return read, {article.url: article.text for article in report.articles if article.text}


def feed_item(article: ArticleItem, now: datetime) -> FeedItem:
    """An article page as the feed item ingest stores: title (or the text's start), time, language."""
    title = " ".join(article.title.split()) or _headline(article.text) or article.url
    language = language_tag(article.language) or guess_language(f"{title} {article.text[:1000]}")
    return FeedItem(url=article.url, guid=None, title=title, summary="",
                    published_at=published_time(article.published_at, now), language=language)


def _headline(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    if len(first) <= _HEADLINE:
        return first
    return (first[:_HEADLINE].rsplit(" ", 1)[0] or first[:_HEADLINE]).rstrip(" ,.;:") + "…"
