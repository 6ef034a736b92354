"""The parse pool behind the Poller: feeds parsed in worker processes, a dying worker contained."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

import pytest

from monitor.fetch import FetchResult
from monitor.parse import ParsedFeed, parse_feed
from monitor.parse_pool import ParsePool

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Outlet</title>
<item><title>Забастовка на заводе</title><link>https://outlet.example/1</link><guid>1</guid>
<description>Рабочие вышли на забастовку.</description><pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>""".encode()
DIE = b"kill the worker"


def parse_or_die(body: bytes, url: str, headers: dict[str, str], now: datetime) -> ParsedFeed:
    """parse_feed, except that one body kills the worker process, as a native crash or the OOM killer would."""
    if body == DIE:
        os._exit(1)
    return parse_feed(body, url, headers, now)


def response(body: bytes) -> FetchResult:
    return FetchResult(key="outlet", url="https://outlet.example/feed", status=200, body=body,
                       headers={"content-type": "application/rss+xml"})


async def test_a_feed_parsed_in_a_worker_reads_as_it_does_in_this_process(now):
    pool = ParsePool(1)
    try:
        parsed = await pool.parse(response(FEED), now)
    finally:
        pool.close()
    assert parsed == parse_feed(FEED, "https://outlet.example/feed", {"content-type": "application/rss+xml"}, now)
    assert [item.title for item in parsed.items] == ["Забастовка на заводе"]


async def test_a_worker_that_dies_fails_its_feed_and_a_new_worker_reads_the_next(now):
    pool = ParsePool(1, parse=parse_or_die)
    try:
        with pytest.raises(BrokenProcessPool):
            await pool.parse(response(DIE), now)
        parsed = await pool.parse(response(FEED), now)
    finally:
        pool.close()
    assert [item.url for item in parsed.items] == ["https://outlet.example/1"]
