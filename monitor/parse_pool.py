"""Feeds parsed in worker processes, so parsing uses every core beside Scrapy and the store."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from monitor.fetch import FetchResult
from monitor.parse import ParsedFeed, parse_feed
from monitor.parse_worker import start_worker


class ParsePool:
    """Feeds parsed in worker processes: feedparser is pure Python, so in threads every parse
    would share one core (the GIL) with Scrapy and the database work.

    Workers are forked from a forkserver that has imported only `monitor.parse` (~21 MB each,
    not a copy of this process). At most two feeds per worker are handed over at a time, so a
    worker that dies (out of memory on a huge feed, say) fails only those; the pool then starts
    afresh for the next feeds.
    """

    def __init__(self, workers: int, parse: Callable[..., ParsedFeed] = parse_feed) -> None:
        self.workers = workers
        self._parse = parse  # a module-level function: workers import it by name
        self._pool: ProcessPoolExecutor | None = None
        self._slots = asyncio.Semaphore(2 * workers)

    async def parse(self, result: FetchResult, now: datetime) -> ParsedFeed:
        """`parse_feed` on the response, in a worker; raises BrokenProcessPool if the worker died."""
        async with self._slots:
            pool = self._started()
            try:
                return await asyncio.wrap_future(
                    pool.submit(self._parse, result.body, result.url, result.headers, now))
            except BrokenProcessPool:
                if self._pool is pool:
                    self._pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
                raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["monitor.parse", "monitor.parse_worker"])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=start_worker,
                                             initargs=(os.getpid(),))
        return self._pool


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
