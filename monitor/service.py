"""`dozor run`, assembled: the ticks that drive the parts this process runs (`--role`), config
reload on save, the metrics endpoint, and stopping on what retrying cannot fix.

Roles, for several processes sharing one PostgreSQL (docs/deploy.md):
- `all` (default): crawling, matching and Telegram in one process.
- `worker`: crawls and matches, writing alerts to the outbox; sends nothing. Run as many as the
  sources need: `claim_due` (FOR UPDATE SKIP LOCKED) gives each due source to exactly one.
- `bot`: Telegram only, commands and the outbox. Exactly one per bot token: Telegram allows one
  getUpdates poller, and its rate limits are per token.

A database that cannot be written (read-only, disk full) stops the service with exit code 3 and
one line saying what to do: a service that logs the same error every second helps nobody.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Config
from monitor.config_watch import watch_config
from monitor.live_config import LiveConfig, ReloadResult
from monitor.metrics import Metrics
from monitor.runtime import HEARTBEAT_SECONDS, SOURCE_TICK_SECONDS, Poller
from monitor.store.db import Store, is_unrecoverable, unrecoverable_message
from monitor.store.events import record_event_once
from monitor.store.sources import sync_sources

log = logging.getLogger(__name__)

DELIVERY_TICK_SECONDS = 1.0
STOP_GRACE_SECONDS = 8.0
EXIT_STORE = 3
CONFIG_ERROR = "config_error"
# The same bad edit is reported to admins once an hour at most, however many processes see it.
CONFIG_ERROR_REPEAT = timedelta(hours=1)


class AlertSender(Protocol):
    """Where alerts go: the Telegram bot (bot/) or the console."""

    async def start(self) -> None: ...
    async def deliver_pending(self) -> int: ...
    async def stop(self) -> None: ...


@dataclass
class Parts:
    """What this process runs; `poller` or `sender` is None when its role leaves it out."""

    live: LiveConfig
    store: Store
    poller: Poller | None
    sender: AlertSender | None
    metrics: Metrics
    watch_config: bool = True


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Stopper:
    """Why and when the service stops: a signal (exit 0) or an unrecoverable error."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.code = 0

    def stop(self, code: int = 0) -> None:
        self.code = self.code or code
        self.event.set()


def follow_config(parts: Parts) -> None:
    """Apply each reloaded config: sources (re)scheduled or stopped, topics rebuilt."""

    def apply(_old: Config, new: Config) -> None:
        with parts.store.session() as session:
            sync_sources(session, new.sources, utcnow())
        if parts.poller is not None:
            parts.poller.use_config(new)
        log.info("config version %s applied: %d sources, %d topics",
                 parts.live.version, len(new.sources), len(new.topics))

    parts.live.on_change(apply)


def report_reload(store: Store, result: ReloadResult) -> None:
    """A bad edit goes to the admins (operator event), once an hour at most."""
    if result.error is None:
        return
    message = (f"config.yaml was not reloaded; still running version {result.version}.\n"
               f"{result.error}\nRun `dozor check-config` after fixing it.")
    with store.session() as session:
        record_event_once(session, CONFIG_ERROR, message, utcnow(), CONFIG_ERROR_REPEAT)


def guarded(step: Callable[[], Awaitable[object]], what: str, store: Store,
            stopper: Stopper) -> Callable[[], Awaitable[None]]:
    """A tick's job: an error is logged and retried next tick, unless the database cannot be
    written, which stops the service."""

    async def job() -> None:
        if stopper.event.is_set():
            return
        try:
            await step()
        except asyncio.CancelledError:
            if not stopper.event.is_set():
                raise
            # Stopping: a job cut off mid-way is not an error (its claims are released or leased).
        except Exception as exc:
            if stopper.event.is_set():
                log.debug("%s ended by the shutdown: %s", what, exc)
            elif is_unrecoverable(exc):
                log.critical(unrecoverable_message(store.safe_url, exc))
                stopper.stop(EXIT_STORE)
            else:
                log.exception("%s failed; trying again at the next tick", what)

    return job


async def serve_forever(parts: Parts) -> int:
    """Tick until SIGINT/SIGTERM (exit 0) or an unwritable database (exit 3)."""
    stopper = Stopper()
    install_stop_signals(stopper)
    if parts.sender is not None:
        await parts.sender.start()
    port = parts.live.current.metrics.port
    if port is not None:
        parts.metrics.serve(port, parts.live.current.metrics.host)
    scheduler = AsyncIOScheduler(timezone=timezone.utc)
    # coalesce + max_instances=1: a tick that finds the last one still running is skipped, and
    # ticks missed while the process was down are not replayed (sources are due by the store).
    if parts.poller is not None:
        poller = parts.poller

        async def poll() -> None:
            reports = await poller.poll_due()
            if parts.sender is not None and any(report.hits for report in reports):
                # New alerts go out now, not at the next delivery tick (up to a second later).
                scheduler.modify_job("deliver", next_run_time=utcnow())

        scheduler.add_job(guarded(poll, "polling", parts.store, stopper), "interval",
                          seconds=SOURCE_TICK_SECONDS, max_instances=1, coalesce=True,
                          next_run_time=utcnow(), id="poll")
        # Its own job: a poll round can run for minutes (a slow crawl) and must not look dead.
        scheduler.add_job(guarded(poller.beat, "heartbeat", parts.store, stopper), "interval",
                          seconds=HEARTBEAT_SECONDS, max_instances=1, coalesce=True,
                          next_run_time=utcnow(), id="heartbeat")
    if parts.sender is not None:
        scheduler.add_job(guarded(parts.sender.deliver_pending, "delivery", parts.store, stopper), "interval",
                          seconds=DELIVERY_TICK_SECONDS, max_instances=1, coalesce=True,
                          next_run_time=utcnow(), id="deliver")
    scheduler.start()
    watcher = asyncio.create_task(_watch(parts, stopper)) if parts.watch_config else None
    log.info("running; press Ctrl-C to stop")
    await stopper.event.wait()
    scheduler.shutdown(wait=False)
    if watcher is not None:
        await _bounded("stopping the config watcher", watcher)
    if parts.poller is not None:
        await _bounded("stopping crawls", parts.poller.stop())
    if parts.sender is not None:
        await _bounded("stopping the bot", parts.sender.stop())
    parts.metrics.close()
    if stopper.code:
        log.error("stopped with exit code %d", stopper.code)
    else:
        log.info("stopped")
    return stopper.code


async def _watch(parts: Parts, stopper: Stopper) -> None:
    def on_result(result: ReloadResult) -> None:
        try:
            report_reload(parts.store, result)
        except Exception:
            log.exception("could not record the config error for the admins")

    try:
        await watch_config(parts.live, stopper.event, on_result)
    except Exception:  # no inotify, say: the service runs on; /reload still works
        log.exception("watching %s failed; edits need /reload or a restart", parts.live.path)


async def serve_once(parts: Parts) -> int:
    """Poll every source once, deliver what is pending, return."""
    if parts.sender is not None:
        await parts.sender.start()
    reports, sent = [], 0
    try:
        if parts.poller is not None:
            reports = await parts.poller.poll_all()
        if parts.sender is not None:
            sent = await parts.sender.deliver_pending()
    except Exception as exc:
        if not is_unrecoverable(exc):
            raise
        log.critical(unrecoverable_message(parts.store.safe_url, exc))
        return EXIT_STORE
    finally:
        if parts.poller is not None:
            await _bounded("stopping crawls", parts.poller.stop())
        if parts.sender is not None:
            await parts.sender.stop()
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


def install_stop_signals(stopper: Stopper) -> None:
    """SIGINT/SIGTERM stop the service. These replace Twisted's handlers, which would stop the
    reactor under our feet and skip the clean shutdown."""
    loop = asyncio.get_running_loop()

    def handler(_signum: int, _frame: object) -> None:
        loop.call_soon_threadsafe(stopper.stop)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
