"""The base of every crawled source's spider: one source per crawl, new links only, one item shape.

A spider finds article links on index pages (a list page, a sitemap, whatever the site has),
passes them through `new_links` (which drops the ones already stored and keeps a per-poll
budget), requests the rest with `article_request`, and yields an `ArticleItem` per article page.
It does not store anything: `monitor/crawl.py` runs it and hands its `CrawlReport` to ingest.

What the report records is also how selector rot is seen: index pages read but no links found,
or article pages fetched but no text in any of them.

Every request of the crawl carries the source's `FetchJob` (fetch.SourceJobMiddleware), so the
private-address guard and `allow_private` apply as they do to feeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from monitor.config import Environment, SourceConfig, load_config, resolve_config_path
from monitor.crawl_article import read_article
from monitor.fetch import FetchJob, describe_failure
from monitor.normalise import canonical_url

log = logging.getLogger(__name__)

LinkFilter = Callable[[list[str]], Awaitable[list[str]]]
"""Given canonical article URLs, returns those not stored yet, in the same order."""

# A first crawl of a big site must not turn into hundreds of page requests (as for feeds).
MAX_ARTICLES = 30
_ROBOTS = "Forbidden by robots.txt"


@dataclass
class ArticleItem:
    """One article as a spider yields it; ingest stores it like a feed item with its page text."""

    url: str
    title: str = ""
    text: str = ""
    published_at: datetime | None = None
    language: str | None = None


@dataclass
class CrawlReport:
    """What one crawl of one source found; the spider fills it in as it goes."""

    source_id: str
    links: list[str] = field(default_factory=list)  # every article link found, canonical, in order
    new_links: list[str] = field(default_factory=list)  # those requested (not stored before)
    articles: list[ArticleItem] = field(default_factory=list)
    empty_pages: list[str] = field(default_factory=list)  # fetched, but no text extracted
    failed_pages: list[str] = field(default_factory=list)  # article pages not fetched
    index_pages: int = 0  # list pages, sitemaps … read
    index_errors: list[str] = field(default_factory=list)
    retry_after: str | None = None
    finish_reason: str | None = None

    @property
    def error(self) -> str | None:
        """Why the source failed this time: no index page could be read at all."""
        return self.index_errors[0] if self.index_errors and not self.index_pages else None

    @property
    def stopped(self) -> bool:
        """Cut short by shutdown (not by finishing or by the crawl time limit)."""
        return self.finish_reason not in ("finished", "closespider_timeout")


async def everything_new(urls: list[str]) -> list[str]:
    """The link filter when nothing is stored: `scrapy crawl` and `dozor crawl --dry-run`."""
    return urls


def source_from_environment(source_id: str) -> SourceConfig:
    """The source `source_id` from $DOZOR_CONFIG or ./config.yaml, for `scrapy crawl -a source=`."""
    path = resolve_config_path(None, Environment())
    source = load_config(path).source(source_id)
    if source is None:
        raise ValueError(f"{path}: no source with id {source_id!r}")
    return source


class SourceSpider(scrapy.Spider):
    """Crawls one source. Subclasses write `start` and their parse callbacks with the helpers
    below; `parse_article` reads a page by the source's `article:` selectors or trafilatura."""

    def __init__(
        self,
        source: SourceConfig | str | None = None,
        links: LinkFilter = everything_new,
        report: CrawlReport | None = None,
        max_articles: int | str = MAX_ARTICLES,
        **kwargs: Any,
    ) -> None:
        if source is None:
            raise ValueError(f"spider {self.name!r} crawls one source: pass -a source=<id>")
        if isinstance(source, str):  # from the scrapy command line
            source = source_from_environment(source)
        super().__init__(**kwargs)
        self.source = source
        self.job = FetchJob(key=source.id, url=source.url, allow_private=source.allow_private)
        self.report = report or CrawlReport(source.id)
        self.budget = int(max_articles)
        self._links = links

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._collect, signal=signals.item_scraped)
        return spider

    # ------------------------------------------------------------------ for subclasses

    def start_pages(self) -> list[str]:
        """The source's `start_urls` if given, else the class's own."""
        return list(self.source.start_urls or getattr(self, "start_urls", []))

    def index_request(self, url: str, callback: Callable[..., Any], **meta: Any) -> scrapy.Request:
        """A request for a page that lists articles; failing to read any of them fails the source."""
        return scrapy.Request(url, callback=callback, errback=self._index_failed, meta=meta,
                              priority=10)  # turn pages before reading articles: links first

    def read_index(self, response: Response) -> bool:
        """Count an index page as read; False (and an error recorded) when it is not a web page."""
        if not isinstance(response, TextResponse):
            self.report.index_errors.append(f"{response.url} is not a web page "
                                            f"({response.headers.get('Content-Type', b'?').decode()})")
            return False
        self.report.index_pages += 1
        return True

    async def new_links(self, response: Response, hrefs: Iterable[str | None]) -> list[str]:
        """The article links among `hrefs` (relative to the page) that are not stored yet, at
        most what is left of this poll's budget. Every link counts as found (for selector rot)."""
        found = []
        for href in hrefs:
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                url = canonical_url(href, base=response.url)
                if url.startswith(("http://", "https://")) and url not in found:
                    found.append(url)
        self.report.links.extend(url for url in found if url not in self.report.links)
        if self.budget <= 0 or not found:
            return []
        fresh = [url for url in await self._links(found) if url not in self.report.new_links]
        fresh = fresh[: self.budget]
        self.budget -= len(fresh)
        self.report.new_links.extend(fresh)
        return fresh

    def article_request(
        self, url: str, callback: Callable[..., Any] | None = None, **hints: Any
    ) -> scrapy.Request:
        """A request for an article page. `hints` (title, published_at) come from the index page
        and are used where the page's own are missing."""
        return scrapy.Request(url, callback=callback or self.parse_article, errback=self._page_failed,
                              meta={"dozor_link": url, "dozor_hints": hints})

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        """Read an article page (in a worker thread: trafilatura is CPU work)."""
        hints = response.meta.get("dozor_hints", {})
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        page = await asyncio.to_thread(read_article, response.body, response.url, headers,
                                       self.source.article, datetime.now(timezone.utc))
        selectors = self.source.article
        title = page.title if selectors and selectors.title else (hints.get("title") or page.title)
        published = (page.published_at if selectors and selectors.published
                     else hints.get("published_at") or page.published_at)
        yield ArticleItem(url=response.meta.get("dozor_link", response.url), title=title,
                          text=page.text, published_at=published, language=page.language)

    # ------------------------------------------------------------------ bookkeeping

    def _collect(self, item: Any, response: Response | None, spider: scrapy.Spider) -> None:
        if not isinstance(item, ArticleItem):
            return
        url = canonical_url(item.url, base=response.url if response is not None else None)
        link = response.meta.get("dozor_link") if response is not None else None
        # A redirected page is stored under the link that was filtered, or it would look new
        # (and be fetched again) at every poll.
        if link and response is not None and url == canonical_url(response.url):
            url = link
        item.url = url
        if not item.text.strip():
            self.report.empty_pages.append(url)
            log.warning("source=%s url=%s: no article text found on the page", self.source.id, url)
        self.report.articles.append(item)

    def _index_failed(self, failure: Failure) -> None:
        problem = self._problem(failure)
        self.report.index_errors.append(problem)
        if isinstance(failure.value, HttpError):
            self.report.retry_after = self.report.retry_after or _header(failure.value.response, b"Retry-After")
        log.warning("source=%s: %s", self.source.id, problem)

    def _page_failed(self, failure: Failure) -> None:
        url = failure.request.meta.get("dozor_link", failure.request.url)  # type: ignore[attr-defined]
        self.report.failed_pages.append(url)
        log.warning("source=%s url=%s: article page not fetched (%s); it is tried again next time",
                    self.source.id, url, self._problem(failure))

    def _problem(self, failure: Failure) -> str:
        url = failure.request.url  # type: ignore[attr-defined]
        if isinstance(failure.value, IgnoreRequest) and str(failure.value) == _ROBOTS:
            return f"{url} is disallowed by the site's robots.txt"
        return f"{url}: {describe_failure(failure, self.settings)}"

    def closed(self, reason: str) -> None:
        self.report.finish_reason = reason


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
