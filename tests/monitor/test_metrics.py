"""The /metrics endpoint, scraped over HTTP as Prometheus would."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.metrics import Metrics


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    m = Metrics()
    yield m
    m.close()


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_counters_and_histograms_are_served_with_their_labels(metrics):
    metrics.fetches.labels("ok").inc(3)
    metrics.fetches.labels("error").inc()
    metrics.hits.labels("strikes").inc(2)
    metrics.too_many_requests.inc()
    metrics.crawl_seconds.observe(0.3)
    port = metrics.serve(0)

    seen = scrape(port)
    assert seen[("dozor_fetches_total", (("outcome", "ok"),))] == 3
    assert seen[("dozor_fetches_total", (("outcome", "error"),))] == 1
    assert seen[("dozor_hits_total", (("topic", "strikes"),))] == 2
    assert seen[("dozor_telegram_429_total", ())] == 1
    assert seen[("dozor_crawl_seconds_count", ())] == 1
    assert seen[("dozor_crawl_seconds_bucket", (("le", "0.5"),))] == 1
    assert seen[("dozor_crawl_seconds_bucket", (("le", "0.25"),))] == 0


def test_the_outbox_depth_is_read_at_scrape_time(metrics):
    depth = {"pending": 4, "failed": 1}
    metrics.watch_outbox(lambda: depth)
    port = metrics.serve(0)
    assert scrape(port)[("dozor_outbox", (("status", "pending"),))] == 4
    depth["pending"] = 0
    assert scrape(port)[("dozor_outbox", (("status", "pending"),))] == 0


def test_a_failing_outbox_query_does_not_break_the_scrape(metrics):
    def broken() -> dict[str, int]:
        raise RuntimeError("database is locked")

    metrics.watch_outbox(broken)
    metrics.items_parsed.inc(7)
    seen = scrape(metrics.serve(0))
    assert seen[("dozor_items_parsed_total", ())] == 7
    assert seen[("dozor_outbox", (("status", "pending"),))] == 0


def test_two_services_in_one_process_keep_separate_counts():
    a, b = Metrics(), Metrics()
    a.deliveries.labels("sent").inc()
    assert a.registry.get_sample_value("dozor_deliveries_total", {"outcome": "sent"}) == 1
    assert b.registry.get_sample_value("dozor_deliveries_total", {"outcome": "sent"}) is None
