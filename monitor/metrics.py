"""Prometheus metrics for `dozor run`, served on `metrics.port` when the config sets one.

One `Metrics` object per process, holding its own registry (no module-level globals, so tests can
make as many as they like). Counters are cheap: they are always counted; only the HTTP endpoint
is optional. The outbox depth is read from the store when Prometheus scrapes, not on every send.

Names follow Prometheus conventions (`_total` for counters, `_seconds` for durations):

- dozor_fetches_total{outcome}            a source check: ok, not_modified, error
- dozor_items_parsed_total                items read from feeds and pages
- dozor_hits_total{topic}                 new hits stored
- dozor_deliveries_total{outcome}         sent, gone (chat forgot), failed, retry
- dozor_telegram_429_total                Telegram's "slow down" answers
- dozor_outbox{status}                    deliveries pending / failed now (gauge)
- dozor_crawl_seconds                     one source's check, fetch to stored
- dozor_delivery_latency_seconds          a hit stored to its alert accepted by Telegram
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

# Crawls take from tens of milliseconds (304) to the fetch timeout; alerts from a second to hours
# (a Telegram outage, a digest).
CRAWL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600)

OutboxCounts = Callable[[], dict[str, int]]


class _OutboxCollector(Collector):
    """Reads the outbox counts at scrape time (a COUNT query, once per scrape)."""

    def __init__(self, counts: OutboxCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("dozor_outbox", "Deliveries in the outbox by status.", labels=["status"])
        try:
            counts = self._counts()
        except Exception as exc:  # a scrape must not fail because the database is busy
            log.warning("metrics: outbox counts unavailable (%s)", exc)
            counts = {}
        for status in ("pending", "failed"):
            family.add_metric([status], counts.get(status, 0))
        yield family


class Metrics:
    """The service's counters; `serve(port)` exposes them over HTTP."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fetches = Counter("dozor_fetches", "Source checks by outcome.", ["outcome"], registry=r)
        self.items_parsed = Counter("dozor_items_parsed", "Items read from feeds and pages.", registry=r)
        self.hits = Counter("dozor_hits", "New hits stored, by topic.", ["topic"], registry=r)
        self.deliveries = Counter("dozor_deliveries", "Alert sends by outcome.", ["outcome"], registry=r)
        self.too_many_requests = Counter("dozor_telegram_429", "Telegram 429 answers.", registry=r)
        self.crawl_seconds = Histogram("dozor_crawl_seconds", "One source's check, fetch to stored.",
                                       buckets=CRAWL_BUCKETS, registry=r)
        self.delivery_latency = Histogram("dozor_delivery_latency_seconds",
                                          "From a hit stored to its alert accepted by Telegram.",
                                          buckets=LATENCY_BUCKETS, registry=r)
        self._server: WSGIServer | None = None

    def watch_outbox(self, counts: OutboxCounts) -> None:
        self.registry.register(_OutboxCollector(counts))

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Start the /metrics endpoint in a daemon thread; returns the port bound (0 → any)."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        bound = int(server.server_address[1])
        log.info("metrics on http://%s:%d/metrics", host, bound)
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
