"""The running service's config, swapped whole when config.yaml changes and validates.

`/reload` (bot) and the file watcher (runtime) both call `reload()`. An invalid edit keeps the
last good config and returns the error, with its line, for the caller to report.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from monitor.config import Config, ConfigError, load_config

log = logging.getLogger(__name__)

Listener = Callable[[Config, Config], None]


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: `error` is set (and nothing changed) when the edit was invalid."""

    changed: bool
    version: str
    error: str | None = None


def config_version(path: Path) -> str:
    """A short hash of the file's bytes: what `dozor status` shows as the config loaded."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "unreadable"


class LiveConfig:
    """Holds the current Config; listeners hear (old, new) after each successful swap."""

    def __init__(self, path: Path, config: Config) -> None:
        self.path = path
        self.current = config
        self.version = config_version(path)
        self.loaded_at = datetime.now(timezone.utc)
        self.last_error: str | None = None
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def reload(self) -> ReloadResult:
        """Re-read the file; swap it in when valid and different, else keep the running config."""
        with self._lock:
            version = config_version(self.path)
            if version == self.version and self.last_error is None:
                return ReloadResult(changed=False, version=version)
            try:
                new = load_config(self.path)
            except ConfigError as exc:
                self.last_error = str(exc)
                log.error("config %s not reloaded, still running version %s: %s", self.path, self.version, exc)
                return ReloadResult(changed=False, version=self.version, error=str(exc))
            old, self.current = self.current, new
            self.version, self.loaded_at, self.last_error = version, datetime.now(timezone.utc), None
        log.info("config %s reloaded (version %s)", self.path, version)
        for listener in self._listeners:
            try:
                listener(old, new)
            except Exception:  # one part failing to follow must not stop the others, or later reloads
                log.exception("applying config version %s failed in %r", version, listener)
        return ReloadResult(changed=True, version=version)
