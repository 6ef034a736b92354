"""Fetch feeds through Scrapy's downloader and hand back raw responses, one per source.

One crawl fetches a batch of due sources: Scrapy applies per-domain concurrency, size and time
limits in one place. The spider does no parsing: parsing is a pure step that runs in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.http import Response
from scrapy.settings import Settings
from twisted.python.failure import Failure

from monitor.config import Config
from monitor.store.sources import SourceClaim

log = logging.getLogger(__name__)

# Every status the callback must see itself; 3xx stay out so the redirect middleware follows them.
_OWN_STATUSES = [304, *range(400, 600)]


@dataclass(frozen=True)
class FetchResult:
    """One source's outcome: a response (any status) or a transport error."""

    source_id: str
    url: str
    status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def problem(self) -> str | None:
        """Why this fetch failed, in words for the log and `dozor sources`; None if it did not."""
        if self.error:
            return self.error
        if self.is_ok or self.not_modified:
            return None
        return f"HTTP {self.status}"

    @property
    def retry_after(self) -> str | None:
        return self.headers.get("retry-after")


def scrapy_settings(config: Config) -> Settings:
    """Downloader settings shared by every crawl."""
    return Settings(
        {
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "USER_AGENT": config.fetch.user_agent,
            # Feeds are published to be polled; robots.txt applies to crawled pages (spider sources).
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_ENABLED": False,
            # The scheduler retries with back-off across polls; retrying inside one crawl only
            # delays the other sources in the batch.
            "RETRY_ENABLED": False,
            "DOWNLOAD_TIMEOUT": config.fetch.timeout.total_seconds(),
            "DOWNLOAD_MAXSIZE": 15 * 1024 * 1024,
            "DOWNLOAD_WARNSIZE": 0,
            "REDIRECT_MAX_TIMES": 5,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            "DOWNLOAD_DELAY": 0,
        }
    )


class FeedFetchSpider(scrapy.Spider):
    """Downloads a batch of feed URLs and records each response or failure in `results`."""

    name = "dozor_feed_fetch"

    def __init__(self, requests: list[SourceClaim], results: list[FetchResult], **kwargs: Any):
        super().__init__(**kwargs)
        self.fetch_requests = requests
        self.results = results

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.fetch_requests:
            yield scrapy.Request(
                request.url,
                headers=_conditional_headers(request),
                callback=self.got_response,
                errback=self.got_failure,
                dont_filter=True,
                meta={"fetch": request, "handle_httpstatus_list": _OWN_STATUSES},
            )

    def got_response(self, response: Response) -> None:
        request: SourceClaim = response.meta["fetch"]
        headers = {
            key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
        self.results.append(
            FetchResult(
                source_id=request.source_id,
                url=response.url,
                status=response.status,
                body=response.body,
                headers=headers,
            )
        )

    def got_failure(self, failure: Failure) -> None:
        request: SourceClaim = failure.request.meta["fetch"]  # type: ignore[attr-defined]
        self.results.append(
            FetchResult(source_id=request.source_id, url=request.url, error=_describe(failure))
        )


async def fetch_all(runner: AsyncCrawlerRunner, requests: list[SourceClaim]) -> list[FetchResult]:
    """Fetch every request in one crawl; every request gets exactly one result."""
    if not requests:
        return []
    results: list[FetchResult] = []
    await runner.crawl(FeedFetchSpider, requests=requests, results=results)
    answered = {result.source_id for result in results}
    for request in requests:
        if request.source_id not in answered:
            # The crawl was stopped (shutdown) before this request finished.
            results.append(FetchResult(request.source_id, request.url, error="crawl stopped"))
    return results


def _conditional_headers(claim: SourceClaim) -> dict[str, str]:
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"}
    if claim.etag:
        headers["If-None-Match"] = claim.etag
    if claim.last_modified:
        headers["If-Modified-Since"] = claim.last_modified
    return headers


# Transport failures in the words an operator would use, keyed by exception class name.
_PLAIN = {
    "ConnectionRefusedError": "connection refused",
    "DownloadConnectionRefusedError": "connection refused",
    "TimeoutError": "timed out",
    "DownloadTimeoutError": "timed out",
    "TCPTimedOutError": "timed out connecting",
    "ConnectionLost": "connection lost mid-response",
    "ResponseNeverReceived": "connection closed before any response",
    "NoRouteError": "no route to host (no network?)",
}


def _describe(failure: Failure) -> str:
    value = failure.value
    name = value.__class__.__name__
    text = str(value).strip()
    plain = _PLAIN.get(name)
    if plain:
        return plain
    if name in ("DNSLookupError", "CannotResolveHostError"):
        # Twisted's own text names the host: "DNS lookup failed: no results for ...: vlast.kz."
        return text.rstrip(".") + " (no such host, or no network)"
    return f"{name}: {text}" if text and not text.startswith(name) else text or name
