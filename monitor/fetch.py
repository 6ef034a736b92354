"""Fetch URLs through Scrapy's downloader and hand back raw responses, one per job.

One crawl fetches a batch (the due feeds, or the new articles' pages): Scrapy applies per-domain
concurrency, size and time limits in one place. The spider does no parsing: parsing is a pure step
that runs in a thread. Each request carries its `FetchJob` in `meta["dozor_job"]`, where the
downloader middlewares read the per-source settings: `conditional_get` adds the validators,
`fetch_guard` refuses non-http(s) URLs and private addresses. A failure becomes one line of
text naming the limit it hit (`describe_failure`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.settings import BaseSettings, Settings
from twisted.python.failure import Failure

from monitor.conditional_get import ConditionalGetMiddleware
from monitor.config import Config, format_duration
from monitor.fetch_guard import FetchRefused, UrlGuardMiddleware

log = logging.getLogger(__name__)

# Every status the callback must see itself; 3xx stay out so the redirect middleware follows them.
_OWN_STATUSES = [304, *range(400, 600)]


@dataclass(frozen=True)
class FetchJob:
    """One URL to fetch. `key` identifies it in the results (a source id, or an article URL)."""

    key: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    allow_private: bool = False


@dataclass(frozen=True)
class FetchResult:
    """One job's outcome: a response (any status) or a transport error."""

    key: str
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


def page_settings(config: Config) -> Settings:
    """For the article pages of `fetch_article` feeds: feed settings plus robots.txt (pages are
    crawled, not published to be polled), each robots.txt request with its site's job."""
    settings = settings_dict(config)
    settings["ROBOTSTXT_OBEY"] = True
    settings["DOWNLOADER_MIDDLEWARES"] = {**settings["DOWNLOADER_MIDDLEWARES"], SourceJobMiddleware: 50}
    return Settings(settings)


def scrapy_settings(config: Config) -> Settings:
    """Downloader settings shared by every crawl: the limits from `fetch:` and our middlewares."""
    return Settings(settings_dict(config))


def crawl_settings(config: Config) -> Settings:
    """For crawled sites (listing, sitemap and spider sources, article pages): the same limits
    and guard as feeds, plus robots.txt, one or two requests at a time per site, AutoThrottle."""
    return Settings(crawl_settings_dict(config))


# A crawl must end well within the source's claim lease (store/sources.py, 5 minutes): what it
# found by then is stored, and the links it did not reach are still new at the next poll.
CRAWL_TIME_LIMIT_SECONDS = 240


def crawl_settings_dict(config: Config) -> dict[str, Any]:
    delay = config.fetch.crawl_delay.total_seconds()
    settings = settings_dict(config)
    settings.update({
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS_PER_DOMAIN": config.fetch.crawl_concurrency,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "CLOSESPIDER_TIMEOUT": CRAWL_TIME_LIMIT_SECONDS,
    })
    settings["DOWNLOADER_MIDDLEWARES"] = {
        **settings["DOWNLOADER_MIDDLEWARES"],
        # Before RobotsTxtMiddleware (100), so robots.txt requests carry the source's job too.
        SourceJobMiddleware: 50,
    }
    return settings


def settings_dict(config: Config) -> dict[str, Any]:
    timeout = config.fetch.timeout.total_seconds()
    return {
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
        # A deadline for the whole response, so a body that trickles forever times out too.
        "DOWNLOAD_TIMEOUT": timeout,
        # Checked against Content-Length, the bytes received, and (since Scrapy 2.11) the
        # decompressed size, so a gzip bomb stops at the limit too.
        "DOWNLOAD_MAXSIZE": config.fetch.max_size,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": config.fetch.max_redirects,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOADER_MIDDLEWARES": {
            # Beside DefaultHeadersMiddleware (400): it only adds headers.
            ConditionalGetMiddleware: 450,
            # Closest to the download handler: it vets the URL that is really fetched, after
            # every other middleware had its say, and it sees each response before
            # RedirectMiddleware (600) acts on its Location.
            UrlGuardMiddleware: 950,
        },
    }


class SourceJobMiddleware:
    """Gives a request that has no `FetchJob` the job it belongs to, for its `allow_private`:
    in a one-source crawl that source's job (requests a spider makes itself, and robots.txt);
    in a batch of article pages, a page job of the same site (its robots.txt request)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourceJobMiddleware:
        return cls(crawler)

    def process_request(self, request: scrapy.Request) -> None:
        if "dozor_job" in request.meta:
            return None
        spider = self.crawler.spider
        job = getattr(spider, "job", None) or _job_of_site(getattr(spider, "jobs", ()), request.url)
        if job is not None:
            request.meta["dozor_job"] = job
        return None


def _job_of_site(jobs: Iterable[FetchJob], url: str) -> FetchJob | None:
    site = urlsplit(url).netloc
    return next((job for job in jobs if urlsplit(job.url).netloc == site), None)


class FetchSpider(scrapy.Spider):
    """Downloads a batch of jobs and records each response or failure in `results`."""

    name = "dozor_fetch"

    def __init__(self, jobs: list[FetchJob], results: dict[str, FetchResult], **kwargs: Any):
        super().__init__(**kwargs)
        self.jobs = jobs
        self.results = results

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for job in self.jobs:
            yield scrapy.Request(
                job.url,
                headers=_FEED_HEADERS,
                callback=self.got_response,
                errback=self.got_failure,
                dont_filter=True,
                meta={"dozor_job": job, "handle_httpstatus_list": _OWN_STATUSES},
            )

    def got_response(self, response: Response) -> None:
        job: FetchJob = response.meta["dozor_job"]
        headers = {
            key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
        self.results[job.key] = FetchResult(
            key=job.key, url=response.url, status=response.status, body=response.body, headers=headers
        )

    def got_failure(self, failure: Failure) -> None:
        job: FetchJob = failure.request.meta["dozor_job"]  # type: ignore[attr-defined]
        error = describe_failure(failure, self.settings)
        self.results[job.key] = FetchResult(key=job.key, url=job.url, error=error)


STOPPED = "crawl stopped"


async def fetch_all(runner: AsyncCrawlerRunner, jobs: list[FetchJob]) -> list[FetchResult]:
    """Fetch every job in one crawl; every job gets exactly one result, in the jobs' order."""
    if not jobs:
        return []
    results: dict[str, FetchResult] = {}
    await runner.crawl(FetchSpider, jobs=jobs, results=results)
    # A job with no result was cut short by shutdown: say so rather than drop it.
    return [results.get(job.key) or FetchResult(job.key, job.url, error=STOPPED) for job in jobs]


# The validators (If-None-Match, If-Modified-Since) are added by ConditionalGetMiddleware.
_FEED_HEADERS = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"}

# Transport failures in the words an operator would use, keyed by exception class name.
_PLAIN = {
    "ConnectionRefusedError": "connection refused",
    "DownloadConnectionRefusedError": "connection refused",
    "TimeoutError": "timed out",
    "TCPTimedOutError": "timed out connecting",
    "ConnectionLost": "connection lost mid-response",
    "ResponseNeverReceived": "connection closed before any response",
    "NoRouteError": "no route to host (no network?)",
}


def describe_failure(failure: Failure, settings: BaseSettings) -> str:
    """A failed request in the words an operator would use (a limit hit, a refused URL …)."""
    value = failure.value
    if isinstance(value, HttpError):
        return f"HTTP {value.response.status}"
    limit = _limit_reached(value, failure.request, settings)  # type: ignore[attr-defined]
    if limit:
        return limit
    name = value.__class__.__name__
    text = str(value).strip()
    plain = _PLAIN.get(name)
    if plain:
        return plain
    if name in ("DNSLookupError", "CannotResolveHostError"):
        # Twisted's own text names the host: "DNS lookup failed: no results for ...: vlast.kz."
        return text.rstrip(".") + " (no such host, or no network)"
    return f"{name}: {text}" if text and not text.startswith(name) else text or name


def _limit_reached(error: BaseException, request: scrapy.Request, settings: BaseSettings) -> str | None:
    """The words for a failure caused by a `fetch:` limit or the URL guard; None for any other."""
    if isinstance(error, FetchRefused):
        return str(error)
    if isinstance(error, DownloadTimeoutError):
        return f"timed out after {_seconds(settings.getfloat('DOWNLOAD_TIMEOUT'))}"
    max_size = _size(settings.getint("DOWNLOAD_MAXSIZE"))
    if isinstance(error, DownloadCancelledError):
        # The HTTP/1.1 handler cancels a download only past DOWNLOAD_MAXSIZE, whether announced
        # by Content-Length or counted as it arrives (a timeout is re-raised as a timeout).
        return f"response larger than {max_size} (limit fetch.max_size)"
    if not isinstance(error, IgnoreRequest):
        return None
    if type(error.__cause__).__name__ == "_DecompressionMaxSizeExceeded":
        return f"response larger than {max_size} once decompressed (limit fetch.max_size)"
    if str(error) == "max redirections reached":  # RedirectMiddleware's words, Scrapy 2.x
        loop = " in a loop" if request.url in request.meta.get("redirect_urls", ()) else ""
        return f"too many redirects{loop} (more than {settings.getint('REDIRECT_MAX_TIMES')})"
    return None


def _seconds(seconds: float) -> str:
    return format_duration(timedelta(seconds=seconds)) if seconds == int(seconds) else f"{seconds:g}s"


def _size(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g} {unit}"
    return f"{size} bytes"
