"""Run the real `dozor run --once` as a subprocess, with a clean DOZOR_* environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_once(config: Path, token: str | None = None) -> subprocess.CompletedProcess[str]:
    """One poll of every source and one delivery round; fails the test on a non-zero exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}
    if token:
        env["DOZOR_TELEGRAM_TOKEN"] = token
    result = subprocess.run([sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result
