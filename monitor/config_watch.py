"""Reload config.yaml when it is saved: the running service picks up edits within seconds.

The directory is watched, not the file: editors save by writing a temp file and renaming it over
the old one, which a watch on the file itself would lose after the first save.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import awatch

from monitor.live_config import LiveConfig, ReloadResult

log = logging.getLogger(__name__)

# watchfiles waits for this much quiet before reporting, so one save is one reload.
DEBOUNCE_MS = 400


async def watch_config(live: LiveConfig, stop: asyncio.Event,
                       on_result: Callable[[ReloadResult], None] | None = None) -> None:
    """Reload `live` on every change to its file until `stop` is set."""
    path = live.path.resolve()

    def ours(_change: object, changed: str) -> bool:
        return Path(changed).resolve() == path

    log.info("watching %s for changes", path)
    async for _changes in awatch(path.parent, watch_filter=ours, debounce=DEBOUNCE_MS,
                                 stop_event=stop, recursive=False):
        if not path.exists():
            continue  # mid-rename, or deleted: keep the running config until a file is back
        result = await asyncio.to_thread(live.reload)
        if on_result is not None and (result.changed or result.error):
            on_result(result)
