"""Run the `dozor` command line under cProfile, worker threads included; merged stats to a file.

    .venv/bin/python bench/profile_run.py OUT.prof run --once --config CONFIG
    .venv/bin/python -c "import pstats; pstats.Stats('OUT.prof').sort_stats('cumulative').print_stats(40)"

`python -m cProfile` sees the main thread only, and Dozor parses and stores in worker threads
(asyncio.to_thread). Here every new thread starts its own profiler (threading.setprofile), and
the stats of all of them are merged at exit. Times are each thread's CPU time (time.thread_time),
so a thread waiting for a lock, the GIL or the network costs nothing: the stats say where the CPU
goes, not where the wall time goes. Work done in child processes is not profiled.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from typing import Any

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _start_thread_profile(_frame: Any, _event: str, _arg: Any) -> None:
    # Called at the new thread's first profile event; enable() replaces this hook with cProfile's.
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(profile)
    profile.enable()


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    from monitor.cli import app

    threading.setprofile(_start_thread_profile)
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    code = 0
    try:
        app(argv, prog_name="dozor", standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        main_profile.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = pstats.Stats(main_profile)
        with _lock:
            for profile in _profiles:
                profile.create_stats()  # worker threads are idle (or gone) by now
                stats.add(profile)
        stats.dump_stats(out)
    return code


if __name__ == "__main__":
    sys.exit(main())
