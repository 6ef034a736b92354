"""Feed bytes → items, including the feedparser project's own corpus of awkward feeds."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.format import alert_html
from monitor.match import Matcher
from monitor.config import TopicConfig
from monitor.parse import parse_feed
from monitor.store.outbox import PendingAlert

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Outlet</title><language>ru</language>
<item><title>Workers &amp;amp; <b>strike</b></title><link>/news/1?utm_source=rss</link>
<guid isPermaLink="false">n-1</guid><description>&lt;p&gt;Text&lt;/p&gt;</description>
<pubDate>Thu, 26 Nov 2026 08:00:00 +0500</pubDate></item>
<item><title>No date</title><link>https://example.kz/news/2</link></item>
<item><title>From the future</title><link>https://example.kz/news/3</link><pubDate>Mon, 01 Jan 2120 00:00:00 GMT</pubDate></item>
<item><title>No link and no URL guid</title><guid isPermaLink="false">x</guid></item>
</channel></rss>"""


def test_rss_items_are_normalised():
    parsed = parse_feed(RSS, "https://example.kz/rss", {"content-type": "application/rss+xml"}, NOW)
    first, no_date, future = parsed.items
    assert first.url == "https://example.kz/news/1"
    assert first.guid == "n-1"
    assert first.title == "Workers & strike"
    assert first.summary == "Text"
    assert first.published_at == datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
    assert first.language == "ru"
    assert no_date.published_at == NOW and future.published_at == NOW
    assert parsed.title == "Outlet" and parsed.problem is None


def test_windows_1251_declared_only_in_http_headers_reads_as_cyrillic():
    body = '<?xml version="1.0"?><rss version="2.0"><channel><title>Лента</title><item><title>Забастовка в Актау</title><link>https://e.kz/1</link></item></channel></rss>'.encode("cp1251")
    parsed = parse_feed(body, "https://e.kz/rss", {"content-type": "text/xml; charset=windows-1251"}, NOW)
    assert parsed.items[0].title == "Забастовка в Актау"


def test_garbage_is_reported_not_raised():
    parsed = parse_feed(b"\x00\x01 not a feed <<<", "https://e.kz/rss", {}, NOW)
    assert parsed.items == [] and parsed.problem


def corpus() -> list[tuple[str, str]]:
    with (FEEDS / "feedparser_index.tsv").open(encoding="utf-8") as index:
        return [(row["path"], row["http_headers_simulated"]) for row in csv.DictReader(index, delimiter="\t")]


@pytest.mark.parametrize(("path", "headers"), corpus(), ids=[p for p, _ in corpus()])
def test_every_corpus_feed_goes_through_parse_match_and_format(path, headers):
    header_map = {}
    for part in filter(None, headers.split("|")):
        key, _, value = part.partition(":")
        header_map[key.strip().lower()] = value.strip()
    body = (FEEDS / "feedparser" / path).read_bytes()
    parsed = parse_feed(body, "http://example.org/feed", header_map, NOW)
    matcher = Matcher([TopicConfig(id="t", any=["example", "script"])])
    for item in parsed.items:
        matcher.match(item.title, item.summary)
        html = alert_html(PendingAlert(1, 1, 0, NOW, "t", (), item.title, item.url, "src", None), "Topic")
        # Only our own tags survive: every scraped '<' arrives escaped.
        assert html.replace("<b>", "").replace("</b>", "").count("<") == 0
