"""A config file with three topics (one urgent) and an operator, and the bot running on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.live_config import LiveConfig
from monitor.store.db import Store
from tests.support.bot_runner import TOKEN, RunningBot
from tests.support.fake_telegram import FakeBotApi

ADMIN = 900
CONFIG = """\
timezone: Asia/Almaty
telegram:
  admins: [900]
sources:
  - id: vlast
    name: Vlast.kz
    feed: https://vlast.kz/rss
  - id: orda
    name: Orda.kz
    feed: https://orda.kz/rss
topics:
  - id: strikes
    title: Strikes & <walkouts>
    any: [strike]
  - id: arrests
    title: Arrests of activists
    any: [arrest]
    priority: urgent
  - id: mangystau
    title: Mangystau
    any: [Aktau]
"""


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def live(config_file: Path) -> LiveConfig:
    return LiveConfig(config_file, load_config(config_file))


@pytest.fixture
def bot(api: FakeBotApi, live: LiveConfig, store: Store) -> Iterator[RunningBot]:
    with RunningBot(api, live, store) as running:
        yield running
