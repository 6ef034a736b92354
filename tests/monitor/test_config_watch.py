"""Saving config.yaml reloads it in the running service; a bad save keeps the last good one."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.config_watch import watch_config
from monitor.live_config import LiveConfig, ReloadResult

GOOD = """\
sources:
  - id: vlast
    feed: https://vlast.kz/rss
topics:
  - id: strikes
    any: [strike]
"""
DEADLINE = 5.0  # the issue: an edit takes effect within 5 s


@pytest.fixture
def live(tmp_path: Path) -> LiveConfig:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD)
    return LiveConfig(path, load_config(path))


async def watching(live: LiveConfig):  # type: ignore[no-untyped-def]
    results: asyncio.Queue[ReloadResult] = asyncio.Queue()
    stop = asyncio.Event()
    task = asyncio.create_task(watch_config(live, stop, results.put_nowait))
    await asyncio.sleep(0.3)  # let the watcher register before the first edit
    return results, stop, task


def save_like_an_editor(path: Path, text: str) -> None:
    """Write a temp file and rename it over the config, as vim and VS Code do."""
    temp = path.with_name(".config.yaml.swp")
    temp.write_text(text)
    os.replace(temp, path)


async def test_an_edit_takes_effect_within_five_seconds(live):
    results, stop, task = await watching(live)
    heard: list[tuple[list[str], list[str]]] = []
    live.on_change(lambda old, new: heard.append(([t.id for t in old.topics], [t.id for t in new.topics])))
    try:
        save_like_an_editor(live.path, GOOD + "  - id: arrests\n    any: [arrest]\n")
        result = await asyncio.wait_for(results.get(), DEADLINE)
        assert result.changed and result.error is None
        assert [t.id for t in live.current.topics] == ["strikes", "arrests"]
        assert heard == [(["strikes"], ["strikes", "arrests"])]

        live.path.write_text(GOOD)  # an in-place write works too
        assert (await asyncio.wait_for(results.get(), DEADLINE)).changed
        assert [t.id for t in live.current.topics] == ["strikes"]
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE)


async def test_a_bad_edit_keeps_the_running_config_and_names_the_line(live):
    results, stop, task = await watching(live)
    version = live.version
    try:
        save_like_an_editor(live.path, GOOD + "  - id: arrests\n    anyy: [arrest]\n")
        result = await asyncio.wait_for(results.get(), DEADLINE)
        assert not result.changed
        assert "config.yaml:8" in (result.error or "") and "anyy" in (result.error or "")
        assert [t.id for t in live.current.topics] == ["strikes"]
        assert live.version == version and live.last_error == result.error

        save_like_an_editor(live.path, GOOD + "  - id: arrests\n    any: [arrest]\n")  # fixed
        assert (await asyncio.wait_for(results.get(), DEADLINE)).changed
        assert live.last_error is None
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE)


async def test_other_files_in_the_directory_are_ignored(live):
    results, stop, task = await watching(live)
    try:
        (live.path.parent / "notes.txt").write_text("hello")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(results.get(), 1.5)
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE)
