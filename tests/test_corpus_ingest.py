"""Every real-world feed in tests/fixtures/feeds goes through the whole ingestion path — parse,
normalise, match, store (article, hit, outbox row) and alert formatting — without an exception
or a hang, and whatever reaches Telegram is safe HTML."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot.format import alert_html
from monitor.config import Config, SourceConfig, TopicConfig
from monitor.fetch import FetchResult
from monitor.ingest import read_feed, record_feed
from monitor.match import Matcher
from monitor.store import outbox
from monitor.store.db import Store
from monitor.store.models import Article
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
# Terms that occur in many corpus feeds, so most feeds produce hits and alerts to format.
TOPIC = TopicConfig(id="corpus", title="Corpus <check>",
                    any=["example", "script", "title", "entry", "item", "the", "a", "test", "feed"])


def corpus() -> list[tuple[str, dict[str, str]]]:
    rows = []
    with (FEEDS / "feedparser_index.tsv").open(encoding="utf-8") as index:
        for row in csv.DictReader(index, delimiter="\t"):
            key, _, value = (row["http_headers_simulated"] or "").partition(":")
            rows.append((f"feedparser/{row['path']}", {key.strip().lower(): value.strip()} if value else {}))
    rows += [(str(p.relative_to(FEEDS)), {"content-type": "application/feed+json"})
             for p in sorted(FEEDS.glob("*.json"))]
    return rows


CORPUS = corpus()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'dozor.db'}")
    store.upgrade()
    yield store
    store.close()


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("path", "headers"), CORPUS, ids=[p for p, _ in CORPUS])
def test_feed_goes_through_the_whole_path(store, path, headers):
    source_id = "s" + str(abs(hash(path)))[:12]
    config = Config(sources=[SourceConfig(id=source_id, feed="http://example.org/feed")], topics=[TOPIC])
    with store.session() as session:
        # Many corpus feeds share item links; start empty so each feed's items are new.
        session.execute(delete(Article))
        sync_sources(session, config.sources, NOW)
        subscribe(session, 1, TOPIC.id)
    body = (FEEDS / path).read_bytes()
    result = FetchResult(key=source_id, url="http://example.org/feed", status=200, body=body, headers=headers)

    read = read_feed(store, result, NOW)
    report = record_feed(store, config, Matcher(config.topics), read, {}, NOW)

    assert report.source_id == source_id
    with store.session() as session:
        owed = [a for a in outbox.due(session, NOW, limit=1000) if a.source_name == source_id]
        for alert in owed:
            outbox.mark_sent(session, alert.delivery_id, NOW)
    assert len(owed) == len(report.hits)
    for alert in owed:
        html = alert_html(alert, TOPIC.label)
        # Only our own <b> tags survive: every scraped '<' arrives escaped.
        assert html.replace("<b>", "").replace("</b>", "").count("<") == 0
