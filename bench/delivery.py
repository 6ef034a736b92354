"""Benchmark: one alert fanned out to 1,000 subscribers by `dozor run`, through a Bot API that
answers 429 beyond 30 messages a second.

    .venv/bin/python bench/delivery.py                   # the issue's numbers: 1,000 subscribers
    .venv/bin/python bench/delivery.py --subscribers 200 # a quick look
    .venv/bin/python bench/delivery.py --keep            # leave the temp dir (config, db, log)

Steps:
1. bench/telegram_server.py starts in its own process: a strict sliding-window counter of
   accepted sendMessage calls (30 in any second; beyond that, 429 retry_after 1);
2. a fresh SQLite database gets N subscribers of one topic and one stored article that hit it,
   as ingest stores it: the article, the hit and N outbox rows in one transaction;
3. `dozor run` starts on it (a config with that topic, one disabled source and the bench server
   as `telegram.base_url`) and is stopped with SIGTERM once the server has accepted N messages.

Reported: the fan-out time (first accepted message to the last, as the server saw them), the
time from `dozor run`'s start, 429s received, messages lost (N minus distinct chats reached) and
duplicated, and peak RSS of the dozor process (sampled every 50 ms). Telegram's ceiling makes
(N-1)/30 s the physical limit for the fan-out: 33.3 s for 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.config import load_config  # noqa: E402
from monitor.match import TopicMatch  # noqa: E402
from monitor.parse import FeedItem  # noqa: E402
from monitor.store.articles import MatchedItem, store_items  # noqa: E402
from monitor.store.db import Store  # noqa: E402
from monitor.store.models import Subscriber, Subscription  # noqa: E402
from monitor.store.sources import sync_sources  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
RATE = 30
CONFIG = """\
storage:
  url: sqlite:///{db}
telegram:
  base_url: http://127.0.0.1:{port}/bot
sources:
  - id: bench
    name: Bench outlet
    feed: http://127.0.0.1:{port}/feed.xml
    enabled: false
topics:
  - id: strikes
    title: Strikes
    any: [strike]
"""


def start_server() -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "telegram_server.py"), "--rate", str(RATE)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, int(server.stdout.readline())


def stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as response:
        return json.load(response)


def prepare(workdir: Path, port: int, subscribers: int) -> Path:
    """A config and a database owing one alert to each of `subscribers` chats."""
    config_path = workdir / "config.yaml"
    config_path.write_text(CONFIG.format(db=workdir / "dozor.db", port=port))
    config = load_config(config_path)
    store = Store(f"sqlite:///{workdir / 'dozor.db'}")
    store.upgrade()
    now = datetime.now(timezone.utc)
    with store.session() as session:
        sync_sources(session, config.sources, now)
        session.add_all(Subscriber(chat_id=chat) for chat in range(1, subscribers + 1))
        session.flush()
        session.add_all(Subscription(chat_id=chat, topic_id="strikes") for chat in range(1, subscribers + 1))
        session.flush()
        item = FeedItem("https://example.kz/news/strike-in-aktau", None, "Oil workers strike in Aktau", "", now)
        store_items(session, "bench", [MatchedItem(item, [TopicMatch("strikes")])], now)
    store.close()
    return config_path


def rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_dozor(config_path: Path, port: int, subscribers: int, log_path: Path) -> dict:
    # This checkout's code, whichever venv runs it (so a worktree can be measured too).
    env = {**os.environ, "DOZOR_TELEGRAM_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    with log_path.open("w") as log:
        dozor = subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()",
                                  "run", "--config", str(config_path)],
                                 env=env, stdout=log, stderr=subprocess.STDOUT)
        peak, deadline = 0, started + 10 + subscribers / RATE * 3
        try:
            while time.monotonic() < deadline:
                peak = max(peak, rss_of(dozor.pid))
                if len(stats(port)["sent"]) >= subscribers or dozor.poll() is not None:
                    break
                time.sleep(0.05)
            done = time.monotonic()
        finally:
            dozor.send_signal(signal.SIGTERM)
            dozor.wait(timeout=30)
    return {"started": started, "done": done, "peak_rss": peak, "exit": dozor.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dozor-bench-delivery-"))
    server, port = start_server()
    try:
        config_path = prepare(workdir, port, args.subscribers)
        print(f"{args.subscribers} alerts owed; starting dozor run (log: {workdir / 'dozor.log'})", flush=True)
        run = run_dozor(config_path, port, args.subscribers, workdir / "dozor.log")
        report(args.subscribers, run, stats(port))
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def report(subscribers: int, run: dict, seen: dict) -> None:
    times = [t for t, _ in seen["sent"]]
    chats = [chat for _, chat in seen["sent"]]
    fan_out = max(times) - min(times) if times else float("nan")
    floor = (subscribers - 1) / RATE
    lost = subscribers - len(set(chats))
    rows = [
        ("subscribers", f"{subscribers}"),
        ("fan-out, first to last message", f"{fan_out:.1f} s"),
        ("physical limit (N-1)/30", f"{floor:.1f} s"),
        ("ratio to the limit (target ≤ 1.15)", f"{fan_out / floor:.3f}"),
        ("from `dozor run` start to the last message", f"{(max(times) if times else run['done']) - run['started']:.1f} s"),
        ("429s received (target 0)", f"{seen['too_many']}"),
        ("lost (target 0)", f"{lost}"),
        ("duplicated", f"{len(chats) - len(set(chats))}"),
        ("peak RSS of dozor run", f"{run['peak_rss'] / 2**20:.0f} MB"),
        ("dozor exit code after SIGTERM", f"{run['exit']}"),
        ("machine", f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
