"""Benchmark: from an item appearing in a feed to its alert reaching the Bot API, under `dozor run`.

    .venv/bin/python bench/latency.py                  # the issue's numbers: 20 items, 4 sources, 30 s
    .venv/bin/python bench/latency.py --items 4 --sources 2   # a quick look (~1.5 min)

Steps (see docs/benchmarks.md, "Latency"):
1. the loopback feed server (bench/feed_server.py, its own process) serves --sources small feeds,
   one site each, every response held back --latency-ms;
2. a Bot API stand-in in this process (bench/telegram_server.py's, which also notes each
   message's text) records when each sendMessage arrives;
3. `dozor run` starts on a new SQLite database: the sources polled every --interval, one topic
   whose word occurs only in the items published here, one subscriber;
4. once every source has been polled, --items items are published: source s gets one in each of
   its intervals, at a random moment within it, so the waits for the next poll are spread over
   the whole interval. An item's appearance is when the feed server put it into the feed: every
   response from then on carries it (`/__publish`, CLOCK_MONOTONIC, one clock for all processes);
5. each item's latency is its message's arrival minus its appearance. Also shown: when the first
   response carrying it left the feed server (the wait for the poll) and the rest (fetch, parse,
   match, store, the outbox tick, the send).

Target: every item within interval + 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from aiohttp import web
from delivery import TOKEN  # bench/ is sys.path[0] when run as a script
from feeds import PROXY_VARIABLES, _add_subscribers, _server_stats, _start_server, _stop, _write_config
from telegram_server import RateLimitedBotApi

TOPIC = {"probes": ["heliograph"]}  # a word the generated feeds never use
SLACK = 3.0  # seconds allowed beyond the interval


class RecordingBotApi(RateLimitedBotApi):
    """The strict stand-in, also noting each accepted message's text with its arrival time."""

    def __init__(self, rate: int) -> None:
        super().__init__(rate)
        self.texts: list[tuple[float, str]] = []

    def send(self, chat_id: int, text: str) -> web.Response:
        arrived = time.monotonic()
        response = super().send(chat_id, text)
        if response.status == 200:
            self.texts.append((arrived, text))
        return response


def serve_bot_api(api: RecordingBotApi) -> int:
    """Serve `api` on a thread of its own (its own event loop); the port."""
    ready: list[int] = []
    started = threading.Event()

    async def serve() -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", api.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ready.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        started.set()
        await asyncio.Event().wait()  # until the process ends (daemon thread)

    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    if not started.wait(10):
        raise SystemExit("the Bot API stand-in did not start")
    return ready[0]


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    os.environ["no_proxy"] = "*"
    workdir = Path(tempfile.mkdtemp(prefix="dozor-bench-latency-"))
    feeds = dozor = None
    api = RecordingBotApi(30)
    try:
        feeds, port = _start_server(args, int(time.time()))
        bot_port = serve_bot_api(api)
        config = _write_config(workdir, args, port, interval=f"{args.interval:g}s", topics=TOPIC,
                               extra=f"telegram:\n  base_url: http://127.0.0.1:{bot_port}/bot")
        _add_subscribers(workdir / "dozor.db", 1, topics=TOPIC)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}, "DOZOR_TELEGRAM_TOKEN": TOKEN}
        with open(workdir / "dozor.log", "wb") as log:
            dozor = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)],
                                     stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)
            _wait_for_first_polls(port, args.sources, dozor)
            published = _publish_all(port, args)
            _wait_for_alerts(api, published, args, dozor)
        _report(args, published, _served(port), api.texts)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        if dozor is not None:
            _stop(dozor)
        if feeds is not None:
            _stop(feeds)
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", dest="probes", type=int, default=20, help="items published, each one alert (20)")
    parser.add_argument("--sources", type=int, default=4, help="feeds they are spread over (4)")
    parser.add_argument("--interval", type=float, default=30, help="the sources' poll interval, s (30)")
    parser.add_argument("--latency-ms", type=float, default=100, help="delay of every feed response (100)")
    parser.add_argument("--feed-items", type=int, default=10, help="items in each feed besides (10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (config, database, log)")
    args = parser.parse_args()
    # What bench/feeds.py's helpers read.
    args.feeds, args.hosts, args.items = args.sources, args.sources, args.feed_items
    return args


def _wait_for_first_polls(port: int, sources: int, dozor: subprocess.Popen[bytes]) -> None:
    """Until every source has been fetched once (and a moment for it to be stored)."""
    deadline = time.monotonic() + 120
    while _server_stats(port).get("200", 0) < sources:
        if dozor.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("dozor run did not poll every source within 2 minutes (see --keep's log)")
        time.sleep(0.2)
    time.sleep(2)


def _publish_all(port: int, args: argparse.Namespace) -> list[dict]:
    """Source s gets an item in each of its intervals, at a random moment within it."""
    rng = random.Random(args.seed)
    start = time.monotonic() + 1
    plan = sorted((start + (n // args.sources) * args.interval + rng.uniform(0, args.interval), n % args.sources, n)
                  for n in range(args.probes))
    print(f"publishing {args.probes} items over {(plan[-1][0] - start):.0f} s", file=sys.stderr)
    published = []
    for at, source, n in plan:
        time.sleep(max(at - time.monotonic(), 0))
        title = f"Heliograph probe {n:03d} sighted over Aktau"
        query = urllib.parse.urlencode({"title": title})
        with urllib.request.urlopen(f"http://127.0.0.2:{port}/__publish/{source}?{query}", timeout=10) as answer:
            published.append({**json.load(answer), "n": n, "source": source, "title": title})
    return published


def _wait_for_alerts(api: RecordingBotApi, published: list[dict], args: argparse.Namespace,
                     dozor: subprocess.Popen[bytes]) -> None:
    """Until every item's alert arrived, or three intervals after the last was published."""
    deadline = published[-1]["at"] + 3 * args.interval
    while time.monotonic() < deadline and dozor.poll() is None:
        if sum(1 for item in published if _arrival(api.texts, item["title"]) is not None) == len(published):
            return
        time.sleep(0.2)


def _arrival(texts: list[tuple[float, str]], title: str) -> float | None:
    return next((at for at, text in texts if title in text), None)


def _served(port: int) -> dict[str, float | None]:
    with urllib.request.urlopen(f"http://127.0.0.2:{port}/__published", timeout=10) as answer:
        return {item["url"]: item["served"] for item in json.load(answer)}


def _report(args: argparse.Namespace, published: list[dict], served: dict[str, float | None],
            texts: list[tuple[float, str]]) -> None:
    rows, latencies = [], []
    for item in sorted(published, key=lambda i: i["at"]):
        arrived = _arrival(texts, item["title"])
        first = served.get(item["url"])
        latency = arrived - item["at"] if arrived is not None else None
        if latency is not None:
            latencies.append(latency)
        rows.append((item["n"], item["source"], latency, first - item["at"] if first else None,
                     arrived - first if arrived is not None and first else None))
    limit = args.interval + SLACK
    print()
    print(f"{args.probes} items over {args.sources} sources polled every {args.interval:g} s; "
          f"{args.latency_ms:g} ms per feed response; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print()
    print("| item | source | appearance → sendMessage s | waiting for the poll s | fetch → sendMessage s |")
    print("|---:|---:|---:|---:|---:|")
    fmt = lambda v: "lost" if v is None else f"{v:.2f}"  # noqa: E731
    for n, source, latency, wait, rest in rows:
        print(f"| {n} | {source} | {fmt(latency)} | {fmt(wait)} | {fmt(rest)} |")
    print()
    if latencies:
        ordered = sorted(latencies)
        p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]  # nearest rank
        rests = sorted(r[4] for r in rows if r[4] is not None)
        print(f"latency: min {ordered[0]:.2f} s, median {statistics.median(ordered):.2f} s, "
              f"p90 {p90:.2f} s, max {ordered[-1]:.2f} s")
        print(f"fetch → sendMessage: min {rests[0]:.2f} s, median {statistics.median(rests):.2f} s, max {rests[-1]:.2f} s")
    within = sum(1 for v in latencies if v <= limit)
    print(f"within interval + {SLACK:g} s ({limit:g} s): {within} of {len(published)}"
          f"{' (target met)' if within == len(published) else ' (target NOT met)'}; lost {len(published) - len(latencies)}")


if __name__ == "__main__":
    sys.exit(main())
