"""Other sources that bring an article already stored are noted once, and alerts name them all."""

from __future__ import annotations

from datetime import timedelta

from monitor.config import SourceConfig
from monitor.parse import FeedItem
from monitor.store import outbox
from monitor.store.article_sources import note_sources, other_sources
from monitor.store.articles import MatchedItem, store_items
from monitor.store.models import Article
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe
from tests.support.builders import topic_match

SOURCES = [SourceConfig(id=i, name=n, feed=f"https://{i}.example/rss")
           for i, n in (("vlast", "Vlast.kz"), ("orda", "Orda.kz"), ("tengri", ""))]


def stored(store, now, url="https://vlast.kz/a"):
    with store.session() as s:
        sync_sources(s, SOURCES, now)
        subscribe(s, 1, "strikes")
        store_items(s, "vlast", [MatchedItem(FeedItem(url, None, "Strike", "", now), [topic_match("strikes", "strike")])], now)


def test_other_sources_are_noted_once_each_in_the_order_they_came(store, now):
    stored(store, now)
    with store.session() as s:
        assert note_sources(s, "tengri", ["https://vlast.kz/a", "https://unknown.example/"], now) == 1
        assert note_sources(s, "orda", ["https://vlast.kz/a"], now + timedelta(minutes=1)) == 1
        assert note_sources(s, "orda", ["https://vlast.kz/a"], now + timedelta(minutes=2)) == 0
        assert note_sources(s, "vlast", ["https://vlast.kz/a"], now) == 0  # the first source owns it
        article_id = s.query(Article.id).scalar()
        assert other_sources(s, {article_id}) == {article_id: ["tengri", "Orda.kz"]}  # no name: the id
    with store.session() as s:
        [alert] = outbox.due(s, now)
    assert alert.sources == ("Vlast.kz", "tengri", "Orda.kz")
    assert alert.fetched_at == now


def test_an_article_nobody_else_brought_names_its_own_source(store, now):
    stored(store, now)
    with store.session() as s:
        [alert] = outbox.due(s, now)
    assert alert.sources == ("Vlast.kz",)
