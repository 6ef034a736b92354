"""Fetching through Scrapy against a loopback server, via `dozor run --once` (the real reactor):
conditional GET, and each kind of failure logged with its source and counted."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from monitor.cli import app
from tests.support.fixture_server import FixtureServer
from tests.support.service import run_once



def write_config(tmp_path: Path, sources: dict[str, str]) -> Path:
    lines = ["fetch:\n  timeout: 1s\nsources:\n"]
    for source_id, url in sources.items():
        lines.append(f"  - id: {source_id}\n    feed: {url}\n    interval: 1m\n    allow_private: true\n")
    lines.append("topics:\n  - id: strikes\n    any: [strike]\n")
    path = tmp_path / "config.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_second_poll_sends_the_validators_and_a_304_costs_no_parsing(tmp_path):
    with FixtureServer() as server:
        server.feed("/feed.xml").add_item("Strike at the port")
        config = write_config(tmp_path, {"news": server.url("/feed.xml")})
        first = run_once(config)
        second = run_once(config)
        conditional = server.requests[-1].headers
    assert "source=news" in first.stderr and "new=1 hits=1" in first.stderr
    assert "if-none-match" in conditional and "if-modified-since" in conditional
    assert "source=news" in second.stderr and "not modified" in second.stderr
    assert "ALERT" not in second.stdout


def test_each_failure_is_logged_with_its_source_and_the_good_source_still_works(tmp_path):
    with FixtureServer() as server:
        server.feed("/feed.xml").add_item("Strike at the port")
        config = write_config(tmp_path, {
            "good": server.url("/feed.xml"),
            "server-error": server.url("/status/500"),
            "gone": server.url("/status/404"),
            "slow": server.url("/slow?seconds=5"),
            "refused": "http://127.0.0.1:1/feed.xml",
            "not-a-feed": server.url("/status/200"),
        })
        result = run_once(config)
    log = result.stderr
    assert "ALERT [strikes] Strike at the port" in result.stdout
    expected = {"server-error": "HTTP 500", "gone": "HTTP 404", "slow": "timed out",
                "refused": "connection refused", "not-a-feed": "not an RSS, Atom or JSON feed"}
    for source_id, words in expected.items():
        [line] = [line for line in log.splitlines() if f"source={source_id} " in line]
        assert "failed: " in line and words in line and "failure 1 in a row" in line, line
    table = CliRunner().invoke(app, ["sources", "--config", str(config)], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert table.output.count("failing (1)") == len(expected)
    as_json = CliRunner().invoke(app, ["sources", "--json", "--config", str(config)])
    health = {row["id"]: row for row in map(json.loads, as_json.output.splitlines())}
    assert health["good"]["status"] == "ok" and health["good"]["items_24h"] == 1
    assert {k: health[k]["failures"] for k in expected} == dict.fromkeys(expected, 1)
    assert "timed out" in health["slow"]["last_error"]
