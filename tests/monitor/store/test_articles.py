"""Storing what a poll found: new articles once, hits, and outbox rows for subscribers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from monitor.config import SourceConfig
from tests.support.builders import topic_match
from monitor.parse import FeedItem
from monitor.store.articles import MatchedItem, recent_hits, store_items
from monitor.store.models import Article, Delivery, Hit
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe


def item(n: int, now: datetime, guid: str | None = None, url: str | None = None) -> FeedItem:
    return FeedItem(url=url or f"https://example.org/{n}", guid=guid, title=f"Title {n}",
                    summary="", published_at=now)


def setup_sources(store, now) -> None:
    with store.session() as s:
        sync_sources(s, [SourceConfig(id=i, feed=f"https://{i}.example/feed") for i in ("a", "b")], now)


def test_an_article_is_stored_once_across_polls_and_sources(store, now):
    setup_sources(store, now)
    first = [MatchedItem(item(1, now), []), MatchedItem(item(2, now, guid="g2"), [])]
    with store.session() as s:
        assert store_items(s, "a", first, now).new_articles == 2
    again = [
        MatchedItem(item(1, now), []),                                    # same URL
        MatchedItem(item(3, now, guid="g2", url="https://else.org/x"), []),  # same guid
        MatchedItem(item(4, now), []),
        MatchedItem(item(4, now), []),                                    # listed twice
    ]
    with store.session() as s:
        assert store_items(s, "b", again, now).new_articles == 1
        assert s.scalar(select(func.count()).select_from(Article)) == 3


def test_hits_create_one_delivery_per_subscriber_of_the_topic(store, now):
    setup_sources(store, now)
    with store.session() as s:
        subscribe(s, 1, "strikes")
        subscribe(s, 2, "strikes")
        subscribe(s, 3, "arrests")
    matched = [MatchedItem(item(1, now), [topic_match("strikes", "strike")])]
    with store.session() as s:
        stored = store_items(s, "a", matched, now)
    assert [(h.topic_id, h.deliveries) for h in stored.hits] == [("strikes", 2)]
    with store.session() as s:
        chats = sorted(s.scalars(select(Delivery.chat_id)))
        hits = recent_hits(s)
    assert chats == [1, 2]
    assert [(h.topic, h.source, h.title, h.terms) for h in hits] == [("strikes", "a", "Title 1", ["strike"])]


def test_recent_hits_filters_by_topic_newest_first(store, now):
    setup_sources(store, now)
    with store.session() as s:
        store_items(s, "a", [MatchedItem(item(1, now), [topic_match("strikes", "strike")]),
                             MatchedItem(item(2, now), [topic_match("arrests", "arrest")]),
                             MatchedItem(item(3, now), [topic_match("strikes", "walkout")])], now)
    with store.session() as s:
        assert [h.title for h in recent_hits(s, "strikes")] == ["Title 3", "Title 1"]
        assert len(recent_hits(s, limit=1)) == 1


def test_in_a_batch_each_hit_and_outbox_row_belongs_to_its_own_article(store, now):
    # Rows are inserted many at a time and their ids matched back by URL and (article, topic):
    # a mix-up would attach an alert to the wrong article or the wrong subscriber.
    setup_sources(store, now)
    with store.session() as s:
        subscribe(s, 1, "strikes")
        subscribe(s, 2, "arrests")
    batch = [MatchedItem(item(n, now), []) for n in range(1, 40)]
    batch[4] = MatchedItem(item(5, now), [topic_match("strikes", "strike"), topic_match("arrests", "arrest")])
    batch[30] = MatchedItem(item(31, now), [topic_match("arrests", "detained")])
    with store.session() as s:
        stored = store_items(s, "a", batch, now)
    assert stored.new_articles == 39
    assert [(h.url, h.topic_id, h.deliveries) for h in stored.hits] == [
        ("https://example.org/5", "strikes", 1), ("https://example.org/5", "arrests", 1),
        ("https://example.org/31", "arrests", 1)]
    with store.session() as s:
        owed = s.execute(
            select(Article.canonical_url, Hit.topic_id, Hit.terms, Delivery.chat_id)
            .join(Hit, Hit.article_id == Article.id).join(Delivery, Delivery.hit_id == Hit.id)
            .order_by(Article.canonical_url, Hit.topic_id)
        ).all()
    assert [tuple(row) for row in owed] == [
        ("https://example.org/31", "arrests", ["detained"], 2),
        ("https://example.org/5", "arrests", ["arrest"], 2),
        ("https://example.org/5", "strikes", ["strike"], 1),
    ]
