"""Crawled sources after the crawl: selector rot judged, the source marked broken once and cleared,
and the crawl's articles handed to ingest as feed items with their page text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config import SourceConfig
from monitor.crawl import as_feed_read, emptiness, feed_item
from monitor.spiders.base import ArticleItem, CrawlReport
from monitor.store.events import SOURCE_BACK, SOURCE_BROKEN, due_events
from monitor.store.models import Source
from monitor.store.sources import record_yield, sync_sources

A, B = "https://example.kz/a", "https://example.kz/b"


def report(**fields: object) -> CrawlReport:
    return CrawlReport("court", index_pages=1, finish_reason="finished", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("crawl", "why"),
    [
        (report(links=[A, B], new_links=[A], articles=[ArticleItem(A, "T", "text")]), None),
        (report(links=[A, B]), None),  # nothing new: the selectors still find links
        (report(), "its pages list no article links"),
        (report(links=[A, B], new_links=[A, B], articles=[ArticleItem(A), ArticleItem(B)], empty_pages=[A, B]),
         "none of the 2 new article pages it read had any text"),
        # One odd page (a video, a gallery) among good ones is not rot.
        (report(links=[A, B], new_links=[A, B], articles=[ArticleItem(A), ArticleItem(B, "T", "text")],
                empty_pages=[A]), None),
        # A site that could not be read is a failure, counted as such, not rot.
        (CrawlReport("court", index_errors=["HTTP 503"], finish_reason="finished"), None),
    ],
    ids=["new articles", "nothing new", "no links", "all pages empty", "one page empty", "fetch failed"],
)
def test_emptiness_is_selector_rot_only(crawl, why):
    assert emptiness(crawl) == why


def test_a_crawl_reads_as_a_feed_with_page_texts(now):
    crawl = report(links=[A, B], new_links=[B], retry_after=None,
                   articles=[ArticleItem(B, "", "Рабочие вышли на забастовку.\nВторой абзац.", None, "ru-RU")])
    read, texts = as_feed_read(crawl, "https://example.kz/court/", now)
    [item] = read.new_items
    assert (item.url, item.title, item.published_at, item.language) == (
        B, "Рабочие вышли на забастовку.", now, "ru")  # no title: the text's first line
    assert texts == {B: "Рабочие вышли на забастовку.\nВторой абзац."}
    assert read.known_urls == (A,) and read.total_items == 2 and read.problem is None


def test_a_failed_crawl_reads_as_a_failed_fetch_with_its_retry_after(now):
    crawl = CrawlReport("court", index_errors=["https://example.kz/court/: HTTP 429"], retry_after="120",
                        finish_reason="finished")
    read, _ = as_feed_read(crawl, "https://example.kz/court/", now)
    assert read.problem == "https://example.kz/court/: HTTP 429"
    assert read.result.retry_after == "120"


def test_a_published_time_in_the_future_becomes_now(now):
    item = feed_item(ArticleItem(A, "T", "x", now + timedelta(days=30)), now)
    assert item.published_at == now


def test_a_source_is_broken_after_broken_after_empty_polls_and_admins_are_told_once(store, now):
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="court", name="Court news", sitemap="https://example.kz/s.xml")], now)
        record_yield(s, "court", None, now, broken_after=3)
    for n in range(1, 6):
        with store.session() as s:
            record_yield(s, "court", "its pages list no article links", now + timedelta(hours=n), broken_after=3)
    with store.session() as s:
        row = s.get_one(Source, "court")
        assert (row.kind, row.empty_polls, row.broken_since) == ("sitemap", 5, now + timedelta(hours=3))
        assert row.broken_reason == "its pages list no article links"
        assert row.last_yield_at == now
        [event] = due_events(s, now + timedelta(days=1))
    assert event.kind == SOURCE_BROKEN and event.source_id == "court"
    assert "Court news" in event.message and "dozor crawl court --dry-run" in event.message
    assert "last found articles 2026-11-27 12:00 UTC" in event.message


def test_a_broken_source_that_yields_again_is_cleared_and_admins_are_told(store, now):
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="court", sitemap="https://example.kz/s.xml")], now)
        record_yield(s, "court", "its pages list no article links", now, broken_after=1)
    later = now + timedelta(hours=1)
    with store.session() as s:
        record_yield(s, "court", None, later, broken_after=1)
        row = s.get_one(Source, "court")
        assert (row.broken_since, row.broken_reason, row.empty_polls, row.last_yield_at) == (None, None, 0, later)
        kinds = [e.kind for e in due_events(s, later)]
    assert kinds == [SOURCE_BROKEN, SOURCE_BACK]


def test_changing_a_sources_kind_resets_its_validators(store, now):
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="x", feed="https://example.kz/rss")], now)
        s.get_one(Source, "x").etag = '"abc"'
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="x", sitemap="https://example.kz/rss")], now)
        row = s.get_one(Source, "x")
        assert (row.kind, row.etag) == ("sitemap", None)


def test_a_spider_source_is_stored_under_its_first_start_url_or_its_name(now):
    assert SourceConfig(id="c", spider="example_outlet").url == "spider:example_outlet"
    assert SourceConfig(id="c", spider="example_outlet", start_urls=["https://e.kz/c/"]).url == "https://e.kz/c/"
