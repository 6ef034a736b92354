"""`dozor run` as a subprocess a test can kill like a power cut, stop, or wait on.

The service runs in a process group of its own, so `kill()` takes its parser workers down with it
(the machine died, not one process). Its stderr (the log) goes to a file, appended across
restarts, so one log tells the whole story of a test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_WITHIN = 10.0


def service_env(token: str | None) -> dict[str, str]:
    """The test's environment without any DOZOR_* variable, plus the bot token if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}
    if token:
        env["DOZOR_TELEGRAM_TOKEN"] = token
    return env


def run_command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "run", "--config", str(config), *args]


class DozorProcess:
    """One `dozor run`; `prefix` wraps the command (e.g. in a private mount namespace)."""

    def __init__(self, config: Path, log: Path, *, token: str | None = None, args: tuple[str, ...] = (),
                 prefix: tuple[str, ...] = (), stdin: int | None = subprocess.DEVNULL) -> None:
        self.log = log
        self.started = time.monotonic()
        with log.open("ab") as sink:
            self.process = subprocess.Popen([*prefix, *run_command(config, *args)], stdin=stdin,
                                            stdout=subprocess.DEVNULL, stderr=sink,
                                            env=service_env(token), start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL to the whole process group; returns once the service itself is gone."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it had already exited (and was reaped)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM, then the exit code; fails the test past STOP_WITHIN."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait_exit(STOP_WITHIN)

    def wait_exit(self, timeout: float) -> int:
        """The exit code, or AssertionError (with the log's tail) if still running after `timeout`."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"dozor run still running after {timeout}s; log tail:\n"
                                 f"{self.log_tail()}") from None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __enter__(self) -> DozorProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process.poll() is None:
            self.kill()
