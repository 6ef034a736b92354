"""Editing config.yaml while `dozor run` runs: new sources are polled, removed ones stop, changed
topics apply to what is found next, and a bad edit keeps the service on its last good config."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dozor_process import DozorProcess
from tests.support.fixture_server import FixtureServer

RELOAD_WITHIN = 5.0  # the issue: an edit takes effect within 5 s
POLL_SLACK = 3.0  # then a 1 s source is due within a tick or two


def config_text(server: FixtureServer, *, court: bool, arrests: bool, broken: bool = False) -> str:
    sources = f"""
  - id: news
    feed: {server.url("/news.xml")}
    interval: 1s
    allow_private: true
"""
    if court:
        sources += f"""
  - id: court
    feed: {server.url("/court.xml")}
    interval: 1s
    allow_private: true
"""
    topics = """
  - id: strikes
    any: [strike]
"""
    if arrests:
        topics += """
  - id: arrests
    any: [arrest]
"""
    if broken:
        topics += """
  - id: lawyers
    anyy: [lawyer]
"""
    return f"storage:\n  url: sqlite:///dozor.db\nsources:{sources}topics:{topics}"


def save(path: Path, text: str) -> None:
    """As editors save: a temp file renamed over the config."""
    temp = path.with_name(".config.yaml.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def wait_for_log(service: DozorProcess, pattern: str, timeout: float) -> re.Match[str]:
    """The log is a file: read it until the line shows up or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, service.log_text())
        if found:
            return found
        if time.monotonic() > deadline or service.process.poll() is not None:
            raise AssertionError(f"no log line /{pattern}/ within {timeout}s:\n{service.log_tail()}")
        time.sleep(0.1)


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as fixture:
        yield fixture


def test_edits_apply_while_running_and_a_bad_one_keeps_the_last_good_config(tmp_path, server):
    news = server.feed("/news.xml")
    court = server.feed("/court.xml")
    court.add_item("Court calendar", server.url("/court/1"), description="Hearings this week")
    config = tmp_path / "config.yaml"
    config.write_text(config_text(server, court=False, arrests=False), encoding="utf-8")

    with DozorProcess(config, tmp_path / "dozor.log") as service:
        server.wait_for(lambda: server.hits("/news.xml") >= 1, timeout=30)
        assert server.hits("/court.xml") == 0

        # A new source and a new topic.
        save(config, config_text(server, court=True, arrests=True))
        server.wait_for(lambda: server.hits("/court.xml") >= 1, timeout=RELOAD_WITHIN + POLL_SLACK)
        wait_for_log(service, r"config version \w+ applied: 2 sources, 2 topics", RELOAD_WITHIN)
        news.add_item("Union lawyer under arrest in Aktau", server.url("/news/1"), description="Detained at dawn")
        wait_for_log(service, r"source=news topic=arrests hit", 10)

        # The source removed: no request to it after the reload is applied.
        save(config, config_text(server, court=False, arrests=True))
        wait_for_log(service, r"applied: 1 sources, 2 topics", RELOAD_WITHIN)
        seen = server.hits("/court.xml")
        polls = server.hits("/news.xml")
        server.wait_for(lambda: server.hits("/news.xml") >= polls + 3, timeout=10)
        assert server.hits("/court.xml") <= seen + 1  # at most one poll already in flight

        # A bad edit: logged with its line, recorded for the admins, and the service goes on
        # with the last good config (arrests still matched).
        save(config, config_text(server, court=False, arrests=True, broken=True))
        error = wait_for_log(service, r"(?s)not reloaded, still running version \w+: (config\.yaml:\d+ .*anyy[^\n]*)",
                             RELOAD_WITHIN)
        assert "topics[2]" in error.group(1)
        news.add_item("Second arrest reported", server.url("/news/2"), description="A union organiser")
        wait_for_log(service, r"(?s)topic=arrests hit.*topic=arrests hit", 10)
        assert service.process.poll() is None
        assert service.stop() == 0

    with sqlite3.connect(tmp_path / "dozor.db") as db:
        events = db.execute("SELECT kind, message FROM operator_events").fetchall()
        hits = db.execute("SELECT topic_id FROM hits ORDER BY id").fetchall()
    assert [kind for kind, _ in events] == ["config_error"]
    assert "config.yaml:" in events[0][1] and "anyy" in events[0][1]
    assert [topic for (topic,) in hits] == ["arrests", "arrests"]
