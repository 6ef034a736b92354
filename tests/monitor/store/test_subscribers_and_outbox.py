"""Subscribers' choices, /stop erasing everything, and the outbox's order and retries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from monitor.config import SourceConfig
from tests.support.builders import topic_match
from monitor.parse import FeedItem
from monitor.store import outbox
from monitor.store.articles import MatchedItem, store_items
from monitor.store.models import Delivery, Subscriber, Subscription
from monitor.store.sources import sync_sources
from monitor.store.subscribers import forget, subscribe, topics_of, unsubscribe


def alerts_for(store, now, *chats_topics, count=2):
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="a", name="Outlet A", feed="https://a.example/feed")], now)
        for chat, topic in chats_topics:
            subscribe(s, chat, topic)
        items = [MatchedItem(FeedItem(f"https://a.example/{n}", None, f"T{n}", "", now),
                             [topic_match("strikes", "strike")]) for n in range(count)]
        store_items(s, "a", items, now)


def test_subscribe_unsubscribe_are_idempotent(store):
    with store.session() as s:
        assert subscribe(s, 7, "strikes") is True
        assert subscribe(s, 7, "strikes") is False
        subscribe(s, 7, "arrests")
        assert topics_of(s, 7) == ["arrests", "strikes"]
        assert unsubscribe(s, 7, "strikes") is True
        assert unsubscribe(s, 7, "strikes") is False
        assert topics_of(s, 7) == ["arrests"]


def test_forget_deletes_the_chat_from_every_table(store, now):
    alerts_for(store, now, (1, "strikes"), (2, "strikes"))
    with store.session() as s:
        assert forget(s, 1) is True
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.chat_id == 1)) == 0
        assert s.scalar(select(func.count()).select_from(Subscription).where(Subscription.chat_id == 1)) == 0
        assert sorted(set(s.scalars(select(Delivery.chat_id)))) == [2]
        assert forget(s, 1) is False


def test_due_alerts_come_oldest_first_with_what_the_message_needs(store, now):
    alerts_for(store, now, (1, "strikes"))
    with store.session() as s:
        due = outbox.due(s, now)
    assert [(a.title, a.source_name, a.topic_id, a.terms) for a in due] == [
        ("T0", "Outlet A", "strikes", ("strike",)), ("T1", "Outlet A", "strikes", ("strike",))]


def test_a_chat_waiting_for_a_retry_gets_nothing_newer_meanwhile(store, now):
    alerts_for(store, now, (1, "strikes"), (2, "strikes"))
    with store.session() as s:
        first = outbox.due(s, now)[0]
        outbox.mark_retry(s, first.delivery_id, now, timedelta(seconds=30), "HTTP 502")
    with store.session() as s:
        assert {a.chat_id for a in outbox.due(s, now)} == {2}
        assert {a.chat_id for a in outbox.due(s, now + timedelta(seconds=30))} == {1, 2}


def test_sent_and_failed_rows_leave_the_queue_and_are_counted(store, now):
    alerts_for(store, now, (1, "strikes"))
    with store.session() as s:
        a, b = outbox.due(s, now)
        outbox.mark_sent(s, a.delivery_id, now)
        outbox.mark_failed(s, b.delivery_id, "Bad Request: message is too long")
    with store.session() as s:
        assert outbox.due(s, now) == []
        assert outbox.counts(s) == {"sent": 1, "failed": 1}


def test_postpone_all_holds_every_pending_alert(store, now):
    alerts_for(store, now, (1, "strikes"), (2, "strikes"))
    with store.session() as s:
        outbox.postpone_all(s, now + timedelta(seconds=5))
    with store.session() as s:
        assert outbox.due(s, now) == []
        assert len(outbox.due(s, now + timedelta(seconds=5))) == 4
