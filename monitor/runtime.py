"""The running service: one asyncio loop (under Twisted's asyncio reactor) on which APScheduler
ticks claim due sources, Scrapy fetches them, ingest stores what they hold, and an alert sender
drains the outbox.

`run_service` must be the first thing to touch Twisted's reactor: it installs the asyncio reactor
and then actually runs it (`react`). Driving the loop with `asyncio.run` instead stalls crawls.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from scrapy.crawler import AsyncCrawlerRunner
from scrapy.utils.defer import deferred_f_from_coro_f
from scrapy.utils.reactor import install_reactor
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.fetch import STOPPED, FetchJob, FetchResult, fetch_all, scrapy_settings
from monitor.ingest import PollReport, ingest
from monitor.match import Matcher
from monitor.store.db import Store
from monitor.store.sources import SourceClaim, claim_all, claim_due, release

log = logging.getLogger(__name__)

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
SOURCE_TICK_SECONDS = 1.0
DELIVERY_TICK_SECONDS = 1.0
STOP_GRACE_SECONDS = 8.0


class AlertSender(Protocol):
    """Where alerts go: the Telegram bot (bot/) or the console."""

    async def start(self) -> None: ...
    async def deliver_pending(self) -> int: ...
    async def stop(self) -> None: ...


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def run_service(serve: Callable[[], Awaitable[int]]) -> int:
    """Install and run the asyncio reactor around `serve`; returns its exit code."""
    install_reactor(REACTOR)
    from twisted.internet.task import react  # after install_reactor, or the default reactor wins

    async def main(_reactor: object) -> None:
        code = await serve()
        if code:
            raise SystemExit(code)

    try:
        react(deferred_f_from_coro_f(main))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


class Poller:
    """Claims sources, fetches them in one crawl and ingests each response in a thread."""

    def __init__(
        self, config: Config, store: Store, on_report: Callable[[PollReport], None] | None = None
    ) -> None:
        self.config = config
        self.store = store
        self.matcher = Matcher(config.topics)
        self.runner = AsyncCrawlerRunner(scrapy_settings(config))
        self.on_report = on_report

    async def poll_due(self) -> list[PollReport]:
        return await self._poll(await asyncio.to_thread(self._claim, claim_due))

    async def poll_all(self) -> list[PollReport]:
        return await self._poll(await asyncio.to_thread(self._claim, claim_all))

    def _claim(self, claim: Callable[[Session, datetime], list[SourceClaim]]) -> list[SourceClaim]:
        with self.store.session() as session:
            return claim(session, utcnow())

    async def _poll(self, claims: list[SourceClaim]) -> list[PollReport]:
        if not claims:
            return []
        jobs = [self._job(claim) for claim in claims]
        try:
            results = await fetch_all(self.runner, jobs)
        except asyncio.CancelledError:
            await asyncio.to_thread(self._release, [c.source_id for c in claims])
            raise
        reports = await asyncio.gather(*(asyncio.to_thread(self._ingest, r) for r in results))
        return [report for report in reports if report is not None]

    def _job(self, claim: SourceClaim) -> FetchJob:
        source = self.config.source(claim.source_id)
        return FetchJob(key=claim.source_id, url=claim.url, etag=claim.etag,
                        last_modified=claim.last_modified,
                        allow_private=bool(source and source.allow_private))

    def _release(self, source_ids: list[str]) -> None:
        with self.store.session() as session:
            release(session, source_ids, utcnow())

    def _ingest(self, result: FetchResult) -> PollReport | None:
        if result.error == STOPPED:
            self._release([result.key])
            return None
        try:
            report = ingest(self.store, self.config, self.matcher, result, utcnow())
        except Exception:
            # Our bug, not the source's: log it with the source and keep the others going.
            log.exception("source=%s url=%s ingest failed", result.key, result.url)
            return None
        if self.on_report:
            self.on_report(report)
        return report

    async def stop(self) -> None:
        await self.runner.stop()


async def serve_forever(poller: Poller, sender: AlertSender) -> int:
    """Tick until SIGINT/SIGTERM, then stop everything within the grace period."""
    stopping = asyncio.Event()
    install_stop_signals(stopping)
    await sender.start()
    scheduler = AsyncIOScheduler(timezone=timezone.utc)
    scheduler.add_job(poller.poll_due, "interval", seconds=SOURCE_TICK_SECONDS,
                      max_instances=1, coalesce=True, next_run_time=utcnow(), id="poll")
    scheduler.add_job(sender.deliver_pending, "interval", seconds=DELIVERY_TICK_SECONDS,
                      max_instances=1, coalesce=True, next_run_time=utcnow(), id="deliver")
    scheduler.start()
    log.info("running; press Ctrl-C to stop")
    await stopping.wait()
    scheduler.shutdown(wait=False)
    await _bounded("stopping crawls", poller.stop())
    await _bounded("stopping the bot", sender.stop())
    log.info("stopped")
    return 0


async def serve_once(poller: Poller, sender: AlertSender) -> int:
    """Poll every source once, deliver what is pending, return."""
    await sender.start()
    try:
        reports = await poller.poll_all()
        sent = await sender.deliver_pending()
    finally:
        await sender.stop()
    failed = sum(1 for r in reports if r.error)
    log.info("polled %d sources (%d failed), delivered %d alerts", len(reports), failed, sent)
    return 0


async def _bounded(what: str, step: Awaitable[object]) -> None:
    try:
        await asyncio.wait_for(step, STOP_GRACE_SECONDS / 2)
    except TimeoutError:
        log.warning("%s took too long; going on with shutdown", what)
    except Exception:
        log.exception("%s failed; going on with shutdown", what)


def install_stop_signals(stopping: asyncio.Event) -> None:
    """SIGINT/SIGTERM set `stopping`. These replace Twisted's handlers, which would stop the
    reactor under our feet and skip the clean shutdown."""
    loop = asyncio.get_running_loop()

    def handler(signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(stopping.set)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
