"""The whole pipe, for real: `dozor run` as a subprocess, a loopback feed, the fake Bot API.

A chat subscribes, an item mentioning a strike appears in the feed, and the chat gets exactly one
alert; polling again and restarting the service send nothing more.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.fake_telegram import FakeBotApi
from tests.support.fixture_server import FixtureServer

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
CHAT = 4242
STOP_WITHIN = 10.0


def write_config(tmp_path: Path, server: FixtureServer, api: FakeBotApi) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
storage:
  url: sqlite:///data/dozor.db
metrics:
  port: 0                       # any free port; the log says which
telegram:
  base_url: {api.base_url}
sources:
  - id: fixture-news
    name: Fixture News
    feed: {server.url("/news.xml")}
    interval: 1s
    allow_private: true         # the fixture server is on 127.0.0.1
  - id: broken
    feed: {server.url("/status/500")}
    interval: 1s
    allow_private: true
topics:
  - id: strikes
    title: Strikes & walkouts
    any: [strike, забастовка]
""",
        encoding="utf-8",
    )
    return config


class Service:
    """`dozor run` in a subprocess, its logs in a file."""

    def __init__(self, config: Path, log: Path, *args: str, token: str | None = TOKEN) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}
        if token:
            env["DOZOR_TELEGRAM_TOKEN"] = token
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run", "--config", str(config), *args],
                stdout=subprocess.PIPE, stderr=sink, env=env,
            )

    def stop(self) -> float:
        """SIGTERM, then the seconds it took to exit (fails the test past STOP_WITHIN)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"dozor run did not stop within {STOP_WITHIN}s:\n{self.log.read_text()}")
        assert code == 0, self.log.read_text()
        return time.monotonic() - started


@pytest.fixture
def servers() -> Iterator[tuple[FixtureServer, FakeBotApi]]:
    with FixtureServer() as server, FakeBotApi() as api:
        yield server, api


def scrape_metrics(log: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics from the running service (its port is in the log), as Prometheus would."""
    port = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", log.read_text(encoding="utf-8"))
    assert port, "the service did not log its metrics port"
    with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def alerts(api: FakeBotApi) -> list[dict]:
    return [m for m in api.messages_to(CHAT) if m["text"].startswith("🔔")]


def test_a_subscriber_gets_one_alert_for_a_matching_item_even_across_restarts(tmp_path, servers):
    server, api = servers
    feed = server.feed("/news.xml", title="Fixture News")
    feed.add_item("Weather in Almaty", description="Sunny")
    config = write_config(tmp_path, server, api)
    log = tmp_path / "dozor.log"

    service = Service(config, log, "--log-level", "DEBUG")
    try:
        api.wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls), timeout=30)
        api.send_command(CHAT, "/start")
        api.wait_for(lambda: any("stores only this chat" in m["text"] for m in api.messages_to(CHAT)))
        api.send_command(CHAT, "/subscribe strikes")
        api.wait_for(lambda: any("Following" in m["text"] for m in api.messages_to(CHAT)))

        item = feed.add_item("Oil workers strike in Aktau", description="<p>Walkout at the field</p>")
        api.wait_for(lambda: alerts(api))
        [alert] = alerts(api)
        assert "<b>Oil workers strike in Aktau</b>" in alert["text"]
        assert item["link"] in alert["text"]
        assert "Strikes &amp; walkouts" in alert["text"] and "Fixture News" in alert["text"]
        assert alert["parse_mode"] == "HTML"

        polled = server.hits("/news.xml")
        server.wait_for(lambda: server.hits("/news.xml") >= polled + 2)
        assert len(alerts(api)) == 1

        metrics = scrape_metrics(log)
        assert metrics[("dozor_hits_total", (("topic", "strikes"),))] == 1
        assert metrics[("dozor_deliveries_total", (("outcome", "sent"),))] == 1
        assert metrics[("dozor_fetches_total", (("outcome", "error"),))] >= 1  # the broken source
        assert metrics[("dozor_outbox", (("status", "pending"),))] == 0
        # The command menu is published in each language the bot speaks.
        menus = {params.get("language_code") for method, params in api.calls if method == "setMyCommands"}
        assert {"ru", "kk", "en"} <= menus
        assert service.stop() < STOP_WITHIN
    finally:
        if service.process.poll() is None:
            service.process.kill()

    restarted = Service(config, log)
    try:
        polled = server.hits("/news.xml")
        server.wait_for(lambda: server.hits("/news.xml") >= polled + 3, timeout=30)
        assert len(alerts(api)) == 1
        restarted.stop()
    finally:
        if restarted.process.poll() is None:
            restarted.process.kill()

    logs = log.read_text(encoding="utf-8")
    assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
    assert "source=broken" in logs and "HTTP 500" in logs  # one bad source, logged, and the rest went on
    assert "/subscribe strikes" not in logs  # what a chat wrote is never logged


def test_without_a_token_run_once_prints_alerts_and_hits_lists_them(tmp_path, servers):
    server, api = servers
    feed = server.feed("/news.xml")
    feed.add_item("Забастовка шахтёров в Караганде")
    feed.add_item("Nothing to see")
    config = write_config(tmp_path, server, api)

    result = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")},
    )
    assert result.returncode == 0, result.stderr
    assert "DOZOR_TELEGRAM_TOKEN is not set" in result.stderr
    assert "ALERT [strikes] Забастовка шахтёров в Караганде" in result.stdout
    assert api.calls == [] and api.sent == []

    listed = subprocess.run(
        [sys.executable, "-m", "monitor", "hits", "--json", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )
    [line] = listed.stdout.splitlines()
    hit = json.loads(line)
    assert set(hit) == {"time", "topic", "source", "title", "url", "terms"}
    assert (hit["topic"], hit["source"], hit["terms"]) == ("strikes", "fixture-news", ["забастовка"])
