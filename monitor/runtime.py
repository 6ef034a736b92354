"""The crawling side of the running service: one asyncio loop (under Twisted's asyncio reactor)
on which the Poller claims due sources, Scrapy fetches them and ingest stores what they hold.
monitor/service.py schedules it beside the alert sender.

`run_service` must be the first thing to touch Twisted's reactor: it installs the asyncio reactor
and then actually runs it (`react`). Driving the loop with `asyncio.run` instead stalls crawls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.utils.defer import deferred_f_from_coro_f
from scrapy.utils.reactor import install_reactor

from monitor.config import Config
from monitor.crawl import crawl_source, record_crawl
from monitor.fetch import (
    STOPPED,
    FetchJob,
    FetchResult,
    crawl_settings,
    fetch_all,
    page_settings,
    scrapy_settings,
)
from monitor.extract import extract_article
from monitor.ingest import FeedRead, PollReport, read_feed, record_feed
from monitor.match import Matcher
from monitor.parse_pool import ParsePool, cores
from monitor.spiders.base import CrawlReport
from monitor.metrics import Metrics
from monitor.store.articles import unseen_urls
from monitor.store.db import Store, is_unrecoverable
from monitor.store.sources import SourceClaim, beat, claim_all, claim_due, release, release_stale

log = logging.getLogger(__name__)
T = TypeVar("T")

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
SOURCE_TICK_SECONDS = 1.0
# Each crawler beats this often (monitor/service.py); one silent for CRAWLER_SILENT_FOR is taken
# for dead and its claims go back to the queue. Machines' clocks must agree (NTP) to well within it.
HEARTBEAT_SECONDS = 10.0
# At shutdown, how long rounds in progress may take to record what they fetched (within the
# service's grace period, monitor/service.py).
RECORD_AT_STOP_SECONDS = 3.0
CRAWLER_SILENT_FOR = timedelta(seconds=60)
# A first poll of a big feed with fetch_article must not turn into hundreds of page requests.
MAX_PAGES_PER_SOURCE = 30
# Crawled sources crawled at once (each its own Crawler; they are polite per site anyway).
MAX_CRAWLS = 4
# Database threads on PostgreSQL, where writers do not queue for one lock as on SQLite.
DB_THREADS = 4


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def run_service(serve: Callable[[], Awaitable[int]]) -> int:
    """Install and run the asyncio reactor around `serve`; returns its exit code.

    `serve` returns normally whatever its code: raising SystemExit inside the reactor skips its
    shutdown triggers, leaving Twisted's (non-daemon) thread pool up and the process hung."""
    install_reactor(REACTOR)
    from twisted.internet.task import react  # after install_reactor, or the default reactor wins

    code = 0

    async def main(_reactor: object) -> None:
        nonlocal code
        code = await serve()

    try:
        react(deferred_f_from_coro_f(main))
    except SystemExit as exc:  # react's own exit, after a clean reactor shutdown
        if not code and exc.code:
            return int(exc.code)  # serve raised: react logged it and exits 1
    return code


def claim_holder() -> str:
    """How this process signs its claims on sources: "host/pid"."""
    return f"{socket.gethostname()}/{os.getpid()}"


def pid_alive(pid: int) -> bool:
    """Whether a process of this machine still runs. Our own pid counts as gone: a claim signed
    with it is from an earlier process that had it (in a container the service is always pid 1)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


class Poller:
    """Claims due sources, fetches them in one crawl, reads the feeds, fetches the new items'
    pages for `fetch_article` sources in a second crawl, then records each source. Crawled
    sources (listing, sitemap, spider) get a crawl each, beside the feeds (monitor/crawl.py).

    Feeds are parsed in worker processes (`ParsePool`); database steps run on their own thread,
    one at a time on SQLite, which has a single writer anyway (threads queued for its lock
    sleep in its busy handler, up to 100 ms a time).
    """

    def __init__(
        self, config: Config, store: Store, on_report: Callable[[PollReport], None] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.metrics = metrics or Metrics()
        self.holder = claim_holder()
        self.matcher = Matcher(config.topics)
        self.runner = AsyncCrawlerRunner(scrapy_settings(config))
        self.page_runner = AsyncCrawlerRunner(page_settings(config))
        # Sites without feeds: robots.txt, AutoThrottle, one or two requests at a time per site.
        self.crawl_runner = AsyncCrawlerRunner(crawl_settings(config))
        self._crawl_slots = asyncio.Semaphore(MAX_CRAWLS)
        # Poll rounds in progress; stop() lets them record what they fetched before the database
        # thread goes.
        self._rounds = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.on_report = on_report
        self.parsers = ParsePool(cores())
        self._db = ThreadPoolExecutor(1 if store.is_sqlite else DB_THREADS, thread_name_prefix="dozor-db")

    def use_config(self, config: Config) -> None:
        """Take a reloaded config: its topics apply to articles found from now on, its sources
        (scheduled by `sync_sources`) from their next check. Fetch settings (user agent, limits)
        are the crawlers' and apply after a restart."""
        matcher = Matcher(config.topics)  # built before the swap: a bad moment never has none
        if config.fetch != self.config.fetch:
            log.warning("fetch settings changed in the config; they apply after a restart")
        self.config, self.matcher = config, matcher

    async def poll_due(self) -> list[PollReport]:
        return await self._poll(await self._in_db(self._claim, claim_due))

    async def poll_all(self) -> list[PollReport]:
        return await self._poll(await self._in_db(self._claim, claim_all))

    def _claim(self, claim: Callable[..., list[SourceClaim]]) -> list[SourceClaim]:
        with self.store.session() as session:
            now = utcnow()
            taken_back = release_stale(session, now, CRAWLER_SILENT_FOR)
            if taken_back:
                log.warning("%d sources were claimed by a crawler silent for %ss (on another machine?); "
                            "due again: %s", len(taken_back), CRAWLER_SILENT_FOR.seconds, ", ".join(taken_back))
            return claim(session, now, holder=self.holder)

    async def beat(self) -> None:
        """Tell the other crawlers this one is alive (its claims are not to be taken back)."""
        await self._in_db(self._beat)

    def _beat(self) -> None:
        with self.store.session() as session:
            beat(session, self.holder, utcnow())

    async def _poll(self, claims: list[SourceClaim]) -> list[PollReport]:
        """Feeds in one crawl, each crawled source (listing, sitemap, spider) in a crawl of its own."""
        if not claims:
            return []
        self._rounds += 1
        self._idle.clear()
        try:
            return await self._poll_claims(claims)
        finally:
            self._rounds -= 1
            if not self._rounds:
                self._idle.set()

    async def _poll_claims(self, claims: list[SourceClaim]) -> list[PollReport]:
        started = time.monotonic()
        feeds = [claim for claim in claims if not self._crawled(claim.source_id)]
        crawled = [claim for claim in claims if self._crawled(claim.source_id)]
        from_feeds, from_crawls = await asyncio.gather(self._poll_feeds(feeds), self._crawl_all(crawled))
        order = {claim.source_id: n for n, claim in enumerate(claims)}
        done = sorted([*from_feeds, *from_crawls], key=lambda report: order[report.source_id])
        self._count(done, time.monotonic() - started)
        if self.on_report:
            for report in done:
                self.on_report(report)
        return done

    def _count(self, reports: list[PollReport], seconds: float) -> None:
        metrics = self.metrics
        metrics.crawl_seconds.observe(seconds)
        for report in reports:
            outcome = "error" if report.error else "not_modified" if report.not_modified else "ok"
            metrics.fetches.labels(outcome).inc()
            metrics.items_parsed.inc(report.items)
            for hit in report.hits:
                metrics.hits.labels(hit.topic_id).inc()

    def _crawled(self, source_id: str) -> bool:
        source = self.config.source(source_id)
        return bool(source and source.crawled)

    async def _crawl_all(self, claims: list[SourceClaim]) -> list[PollReport]:
        reports = await asyncio.gather(*(self._crawl(claim) for claim in claims))
        return [report for report in reports if report is not None]

    async def _crawl(self, claim: SourceClaim) -> PollReport | None:
        """Crawl one source, fetching only the article pages not stored yet, and record it."""
        source = self.config.source(claim.source_id)
        if source is None:  # gone from the config since it was claimed
            await self._in_db(self._release, [claim.source_id])
            return None
        async with self._crawl_slots:
            try:
                report = await crawl_source(self.crawl_runner, source, self._new_links)
            except asyncio.CancelledError:
                await self._in_db(self._release, [claim.source_id])
                raise
            except Exception:  # a hand-written spider's bug fails its source only
                log.exception("source=%s crawl failed", claim.source_id)
                report = CrawlReport(claim.source_id, index_errors=["the spider failed (see the log)"],
                                     finish_reason="finished")
        if report.stopped:
            await self._in_db(self._release, [claim.source_id])
            return None
        return await self._guarded(source.id, source.url, record_crawl, self.store, self.config,
                                   self.matcher, report, utcnow())

    async def _new_links(self, urls: list[str]) -> list[str]:
        fresh = await self._in_db(self._unseen, urls)
        return [url for url in urls if url in fresh]

    def _unseen(self, urls: list[str]) -> set[str]:
        with self.store.session() as session:
            return unseen_urls(session, [(url, None) for url in urls])

    async def _poll_feeds(self, claims: list[SourceClaim]) -> list[PollReport]:
        if not claims:
            return []
        started = time.monotonic()
        try:
            results = await fetch_all(self.runner, [self._job(claim) for claim in claims])
        except asyncio.CancelledError:
            await self._in_db(self._release, [c.source_id for c in claims])
            raise
        stopped = [r.key for r in results if r.error == STOPPED]
        if stopped:
            await self._in_db(self._release, stopped)
        live = [r for r in results if r.error != STOPPED]
        log.info("fetched %d of %d sources in %.1f s", len(live), len(claims), time.monotonic() - started)
        # A source without fetch_article is recorded as soon as it is read, so storing overlaps
        # parsing; the others wait for one crawl of all their new pages.
        alone, with_pages = await asyncio.gather(
            asyncio.gather(*(self._read_and_record(r) for r in live if not self._fetches_pages(r.key))),
            self._read_all_and_record([r for r in live if self._fetches_pages(r.key)]),
        )
        return [report for report in [*alone, *with_pages] if report is not None]

    async def _read_and_record(self, result: FetchResult) -> PollReport | None:
        read = await self._read(result)
        return await self._record(read, {}) if read else None

    async def _read_all_and_record(self, results: list[FetchResult]) -> list[PollReport | None]:
        reads = [read for read in await asyncio.gather(*(self._read(r) for r in results)) if read]
        texts = await self._page_texts(reads)
        return await asyncio.gather(*(self._record(read, texts) for read in reads))

    async def _read(self, result: FetchResult) -> FeedRead | None:
        now = utcnow()
        parsed = None
        if not (result.problem or result.not_modified):
            try:
                parsed = await self.parsers.parse(result, now)
            except BrokenProcessPool:
                log.error("source=%s url=%s: the parser process died; the source is tried again "
                          "after its lease", result.key, result.url)
                return None
            except Exception:
                log.exception("source=%s url=%s ingest failed", result.key, result.url)
                return None
        return await self._guarded(result.key, result.url, read_feed, self.store, result, now, parsed)

    async def _record(self, read: FeedRead, texts: dict[str, str]) -> PollReport | None:
        return await self._guarded(read.source_id, read.result.url, record_feed, self.store, self.config,
                                   self.matcher, read, texts, utcnow())

    def _fetches_pages(self, source_id: str) -> bool:
        source = self.config.source(source_id)
        return bool(source and source.fetch_article)

    async def _page_texts(self, reads: list[FeedRead]) -> dict[str, str]:
        """Fetch and extract the new items' pages of fetch_article sources: url → main text."""
        jobs: dict[str, FetchJob] = {}
        for read in reads:
            source = self.config.source(read.source_id)
            if source is None or not source.fetch_article:
                continue
            for item in read.new_items[:MAX_PAGES_PER_SOURCE]:
                jobs.setdefault(item.url, FetchJob(key=item.url, url=item.url,
                                                   allow_private=source.allow_private))
        if not jobs:
            return {}
        pages = await fetch_all(self.page_runner, list(jobs.values()))
        texts = await asyncio.gather(*(asyncio.to_thread(self._page_text, page) for page in pages))
        return {page.key: text for page, text in zip(pages, texts) if text}

    @staticmethod
    def _page_text(page: FetchResult) -> str | None:
        if page.problem or not page.is_ok:
            log.warning("article url=%s not fetched (%s); matching the feed's summary only",
                        page.url, page.problem or f"HTTP {page.status}")
            return None
        extracted = extract_article(page.body, page.url, page.headers, now=utcnow())
        if extracted is None or not extracted.text:
            log.warning("article url=%s: no main text found; matching the feed's summary only", page.url)
            return None
        return extracted.text

    async def _guarded(self, source_id: str, url: str, step: Callable[..., T], *args: object) -> T | None:
        """Run a blocking database step; our own bug in it fails that source only. A database
        that cannot be written (read-only, disk full) fails them all: that goes up, to stop."""
        try:
            return await self._in_db(step, *args)
        except Exception as exc:
            if is_unrecoverable(exc):
                raise
            log.exception("source=%s url=%s ingest failed", source_id, url)
            return None

    async def _in_db(self, step: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, step, *args)

    def _job(self, claim: SourceClaim) -> FetchJob:
        source = self.config.source(claim.source_id)
        return FetchJob(key=claim.source_id, url=claim.url, etag=claim.etag,
                        last_modified=claim.last_modified,
                        allow_private=bool(source and source.allow_private))

    def _release(self, source_ids: list[str]) -> None:
        with self.store.session() as session:
            release(session, source_ids, utcnow())

    async def stop(self) -> None:
        """Stop the crawls, let the rounds in progress record what was fetched, then close."""
        await self.runner.stop()
        await self.page_runner.stop()
        await self.crawl_runner.stop()
        try:
            await asyncio.wait_for(self._idle.wait(), RECORD_AT_STOP_SECONDS)
        except TimeoutError:
            log.warning("polls still being recorded at shutdown were cut off; their sources are "
                        "due again at the next start")
        self.parsers.close()
        self._db.shutdown(wait=False)
