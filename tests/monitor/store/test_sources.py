"""Source scheduling in the store: sync with config, claims, outcomes and back-off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config import SourceConfig
from monitor.store.models import Source
from monitor.store.sources import (
    MAX_BACKOFF,
    Outcome,
    all_sources,
    backoff,
    claim_all,
    claim_due,
    record_outcome,
    beat,
    release_orphaned,
    release_stale,
    sync_sources,
)

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def feed(source_id: str, url: str | None = None, enabled: bool = True) -> SourceConfig:
    return SourceConfig(id=source_id, feed=url or f"https://example.org/{source_id}.xml",
                        interval="10m", enabled=enabled)


def test_new_sources_are_due_at_once_and_removed_ones_stop(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a"), feed("b")], now)
    with store.session() as s:
        assert [c.source_id for c in claim_due(s, now)] == ["a", "b"]
    with store.session() as s:
        sync_sources(s, [feed("a"), feed("c", enabled=False)], now)
        states = {row.id: row.active for row in all_sources(s)}
    assert states == {"a": True, "b": False, "c": False}


def test_a_claim_leases_the_source_so_a_second_tick_does_not_take_it(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
    with store.session() as s:
        assert len(claim_due(s, now)) == 1
    with store.session() as s:
        assert claim_due(s, now + MINUTE) == []


def test_a_restart_takes_back_claims_of_dead_processes_on_its_machine_only(store, now):
    """Claims of a killed process on this host are due again at once; a live process's claims,
    and claims from other machines (whose processes cannot be seen), keep their lease."""
    holders = {"dead": "here/111", "alive": "here/222", "remote": "there/111", "done": "here/111"}
    added: list[SourceConfig] = []
    for n, source_id in enumerate(holders):  # added a minute apart: claimed in this order
        added.append(feed(source_id))
        with store.session() as s:
            sync_sources(s, added, now - (len(holders) - n) * MINUTE)
    for source_id, holder in holders.items():
        with store.session() as s:
            assert [c.source_id for c in claim_due(s, now, limit=1, holder=holder)] == [source_id]
    with store.session() as s:
        record_outcome(s, "done", Outcome(), timedelta(minutes=10), now)  # finished before the kill

    with store.session() as s:
        released = release_orphaned(s, now + MINUTE, "here", is_alive=lambda pid: pid == 222)
    assert released == ["dead"]
    with store.session() as s:
        due = [c.source_id for c in claim_due(s, now + MINUTE)]
        claimed = {row.id: row.claimed_by for row in all_sources(s)}
    assert due == ["dead"]
    assert claimed == {"dead": None, "alive": "here/222", "remote": "there/111", "done": None}


def test_claims_of_a_crawler_that_stopped_beating_go_back_after_a_minute(store, now):
    """Workers on other machines: whether their process lives cannot be seen, but their
    heartbeat can. A claim whose holder has been silent for a minute is due again; a beating
    holder's claim, a claim too young to judge, and a claim without a holder keep their lease."""
    silent_for = timedelta(seconds=60)
    with store.session() as s:
        sync_sources(s, [feed(n) for n in ("dead", "beating", "fresh", "anonymous")], now)
    claims = {"dead": ("b/1", now), "beating": ("a/1", now), "fresh": ("c/1", now + 50 * SECOND),
              "anonymous": (None, now)}
    for source_id, (holder, at) in claims.items():
        with store.session() as s:
            row = s.get_one(Source, source_id)
            row.claimed_by, row.claimed_at, row.next_check_at = holder, at, at + timedelta(minutes=5)
    with store.session() as s:
        beat(s, "b/1", now)  # then silent
        beat(s, "a/1", now)
    with store.session() as s:
        beat(s, "a/1", now + 50 * SECOND)  # again: upserted, not duplicated

    later = now + 70 * SECOND
    with store.session() as s:
        assert release_stale(s, later, silent_for) == ["dead"]
    with store.session() as s:
        assert [c.source_id for c in claim_due(s, later)] == ["dead"]
        assert release_stale(s, later, silent_for) == []


def test_claim_all_takes_sources_that_are_not_due(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a"), feed("b", enabled=False)], now)
        record_outcome(s, "a", Outcome(), timedelta(hours=1), now)
    with store.session() as s:
        assert [c.source_id for c in claim_all(s, now)] == ["a"]


def test_success_schedules_the_interval_and_keeps_validators(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
        record_outcome(s, "a", Outcome(etag='"v1"', last_modified="Thu, 26 Nov 2026 10:00:00 GMT",
                                       new_items=3), timedelta(minutes=10), now)
    with store.session() as s:
        claim = claim_due(s, now + timedelta(minutes=10))[0]
        row = s.get_one(Source, "a")
        assert row.last_new_item_at == now and row.last_success_at == now
    assert (claim.etag, claim.last_modified) == ('"v1"', "Thu, 26 Nov 2026 10:00:00 GMT")


def test_the_interval_counts_from_the_start_of_the_check_not_its_end(store, now):
    """A check claimed at `now` and recorded 3 s later is due again at now + interval: the
    schedule does not drift later by each check's duration."""
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
    with store.session() as s:
        claim_due(s, now)
    with store.session() as s:
        record_outcome(s, "a", Outcome(), timedelta(seconds=30), now + timedelta(seconds=3))
    with store.session() as s:
        assert claim_due(s, now + timedelta(seconds=29)) == []
        assert [c.source_id for c in claim_due(s, now + timedelta(seconds=30))] == ["a"]


def test_a_check_longer_than_the_interval_is_due_again_at_once_not_in_the_past(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
    with store.session() as s:
        claim_due(s, now)
    recorded = now + timedelta(seconds=45)
    with store.session() as s:
        row = record_outcome(s, "a", Outcome(), timedelta(seconds=30), recorded)
        assert row.next_check_at == recorded


def test_not_modified_keeps_the_old_validators(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
        record_outcome(s, "a", Outcome(etag='"v1"'), MINUTE, now)
        record_outcome(s, "a", Outcome(not_modified=True), MINUTE, now + MINUTE)
        assert s.get_one(Source, "a").etag == '"v1"'


def test_changing_a_feed_url_forgets_its_validators(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
        record_outcome(s, "a", Outcome(etag='"v1"'), MINUTE, now)
    with store.session() as s:
        sync_sources(s, [feed("a", url="https://example.org/new.xml")], now)
        row = s.get_one(Source, "a")
        assert (row.url, row.etag, row.next_check_at) == ("https://example.org/new.xml", None, now)


def test_failures_are_counted_and_back_off_from_the_third(store, now):
    interval = timedelta(minutes=10)
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
        delays = []
        for _ in range(4):
            row = record_outcome(s, "a", Outcome(error="HTTP 500"), interval, now)
            delays.append(row.next_check_at - now)
        assert row.consecutive_failures == 4 and row.last_error == "HTTP 500"
    assert delays == [interval, interval, interval * 2, interval * 4]
    with store.session() as s:
        assert record_outcome(s, "a", Outcome(), interval, now).consecutive_failures == 0


def test_retry_after_pushes_the_next_check_back(store, now):
    with store.session() as s:
        sync_sources(s, [feed("a")], now)
        row = record_outcome(s, "a", Outcome(error="HTTP 429", retry_after=timedelta(hours=2)),
                             timedelta(minutes=10), now)
        assert row.next_check_at == now + timedelta(hours=2)


@pytest.mark.parametrize("failures", [3, 10, 40])
def test_backoff_is_capped_at_a_day(failures):
    assert backoff(timedelta(hours=1), failures) <= MAX_BACKOFF
