"""The config keys delivery reads: timezone, telegram.link_previews, telegram.max_retry_delay."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.config import ConfigError, load_config


def test_the_defaults_are_almaty_time_previews_on_and_ten_minutes_of_back_off(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("sources: []\n", encoding="utf-8")
    config = load_config(path)
    assert config.zone == ZoneInfo("Asia/Almaty")
    assert config.telegram.link_previews is True
    assert config.telegram.max_retry_delay == timedelta(minutes=10)


def test_each_can_be_set(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("timezone: Europe/Moscow\ntelegram:\n  link_previews: false\n  max_retry_delay: 30s\n",
                    encoding="utf-8")
    config = load_config(path)
    assert (config.timezone, config.telegram.link_previews, config.telegram.max_retry_delay) == (
        "Europe/Moscow", False, timedelta(seconds=30))


@pytest.mark.parametrize(("text", "error"), [
    ("timezone: Asia/Almati\n", "config.yaml:1 timezone: unknown time zone 'Asia/Almati'; expected an IANA name"),
    ("telegram:\n  link_previews: maybe\n", "config.yaml:2 telegram.link_previews: expected true or false"),
    ("telegram:\n  max_retry_delay: 0s\n", "config.yaml:2 telegram.max_retry_delay: expected at least 1s"),
])
def test_a_bad_value_names_the_line_and_what_was_expected(tmp_path, text, error):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.errors[0].startswith(error)
