"""What each parse worker (monitor/parse_pool.py `ParsePool`) runs first. Kept tiny: workers import
it, and everything it imports costs memory in every one of them.

A worker waits on its task queue and holds that queue's write end itself, so it never sees the
service die: after a `kill -9` it would wait forever (21 MB each, plus the forkserver). A daemon
thread checks that the service still runs and ends the worker when it does not.
"""

from __future__ import annotations

import os
import signal
import threading
import time

CHECK_SECONDS = 2.0


def start_worker(service_pid: int) -> None:
    # Ctrl-C reaches the whole process group: workers leave the shutdown to the service.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_gone, args=(service_pid,), name="watch-service", daemon=True).start()


def _exit_when_gone(service_pid: int) -> None:
    while True:
        time.sleep(CHECK_SECONDS)
        try:
            os.kill(service_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass  # someone's process has that pid: the service may be gone, but we cannot tell
