"""Pausing failing sources, flagging silent ones, and the operator events that tell admins."""

from __future__ import annotations

from datetime import timedelta

from monitor.config import SourceConfig
from tests.support.builders import topic_match
from monitor.parse import FeedItem
from monitor.store.articles import MatchedItem, store_items
from monitor.store.events import SOURCE_BACK, SOURCE_PAUSED, SOURCE_SILENT, due_events, mark_event_sent
from monitor.store.models import Source
from monitor.store.sources import Outcome, check_silence, claim_due, record_outcome, resume, sync_sources

INTERVAL = timedelta(minutes=10)


def one_source(store, now):
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="vlast", name="Vlast.kz", feed="https://vlast.kz/feed/")], now)


def test_a_source_is_paused_after_pause_after_failures_and_admins_are_told_once(store, now):
    one_source(store, now)
    with store.session() as s:
        for n in range(5):
            record_outcome(s, "vlast", Outcome(error="HTTP 500"), INTERVAL, now + timedelta(minutes=n), 3)
    with store.session() as s:
        row = s.get_one(Source, "vlast")
        assert row.paused_at is not None and row.consecutive_failures == 5
        assert claim_due(s, now + timedelta(days=30)) == []
        [event] = due_events(s, now + timedelta(hours=1))
    assert event.kind == SOURCE_PAUSED and event.source_id == "vlast"
    assert "HTTP 500" in event.message and "dozor resume vlast" in event.message
    with store.session() as s:
        assert resume(s, "vlast", now) is True and resume(s, "nope", now) is False
    with store.session() as s:
        assert [c.source_id for c in claim_due(s, now)] == ["vlast"]


def publish(store, now, times, prefix="a"):
    items = [MatchedItem(FeedItem(f"https://vlast.kz/{prefix}{n}", None, f"T{n}", "", t), [])
             for n, t in enumerate(times)]
    with store.session() as s:
        store_items(s, "vlast", items, now)


def test_a_silent_daily_outlet_is_flagged_once_and_its_return_is_reported(store, now):
    one_source(store, now)
    publish(store, now, [now - timedelta(days=3, hours=2 * n) for n in range(30)])
    with store.session() as s:
        check_silence(s, "vlast", now)
        check_silence(s, "vlast", now + timedelta(hours=1))  # still silent: no second notice
        assert s.get_one(Source, "vlast").silent_since == now
        events = due_events(s, now + timedelta(hours=2))
    assert [e.kind for e in events] == [SOURCE_SILENT]
    assert "nothing new" in events[0].message
    with store.session() as s:
        mark_event_sent(s, events[0].event_id, now)
    later = now + timedelta(hours=2)
    publish(store, later, [later], prefix="b")
    with store.session() as s:
        check_silence(s, "vlast", later)
        assert s.get_one(Source, "vlast").silent_since is None
        assert [e.kind for e in due_events(s, later)] == [SOURCE_BACK]


def test_hits_still_flow_for_a_paused_sources_old_articles(store, now):
    # Pausing stops polling; it does not touch what was already stored and owed.
    one_source(store, now)
    with store.session() as s:
        stored = store_items(s, "vlast", [MatchedItem(FeedItem("https://vlast.kz/1", None, "Strike", "", now),
                                                      [topic_match("strikes", "strike")])], now)
    assert len(stored.hits) == 1
