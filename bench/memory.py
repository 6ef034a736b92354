"""Benchmark: the memory of `dozor run` polling 2,000 loopback feeds for 10 minutes.

    .venv/bin/python bench/memory.py                 # the issue's numbers: 2,000 sources, 10 minutes
    .venv/bin/python bench/memory.py --minutes 2 --feeds 200   # a quick look
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/memory.py   # measure another version

Steps (see docs/benchmarks.md, "Memory"):
1. the loopback feed server (bench/feed_server.py, its own process): one site per feed, every
   response held back --latency-ms;
2. the Bot API stand-in (bench/telegram_server.py, its own process), unless --no-bot: `dozor run`
   runs as in production, bot and all;
3. `dozor run` (not --once) on a new SQLite database with every feed a source polled every
   --interval and --subscribers chats subscribed to every topic;
4. meanwhile, --publish-per-minute new items that hit a topic go on top of random feeds, so
   steady-state polls parse, match, store and alert too, not only answer 304;
5. every --every seconds, the RSS and PSS of Dozor's whole process tree (parse workers, forkserver,
   resource tracker) are summed; after --minutes, SIGTERM.

Reported: the peak of the sum of RSS (and of PSS), each kind of process's peak RSS and CPU
seconds, a table of per-minute peaks with the sources fetched in each minute, and the trend: the
peak of the first two minutes against the last two.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

from delivery import TOKEN  # bench/ is sys.path[0] when run as a script
from delivery import start_server as start_bot_api
from feeds import (_FETCHED, PROXY_VARIABLES, TreeRss, _add_subscribers, _become_subreaper,
                   _cpu_model, _ram_gb, _reap_orphans, _server_stats, _start_server, _stop, _write_config)

# Titles published during the run: each hits the "strikes" topic (забастовку, strike).
PUBLISHED_TITLES = ["Рабочие завода в Актобе объявили забастовку", "Oil workers in Aktau went on strike"]


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    os.environ["no_proxy"] = "*"
    _become_subreaper()
    workdir = Path(tempfile.mkdtemp(prefix="dozor-bench-memory-"))
    feeds = bot = None
    try:
        feeds, port = _start_server(args, int(time.time()))
        extra = ""
        if not args.no_bot:
            bot, bot_port = start_bot_api()
            extra = f"telegram:\n  base_url: http://127.0.0.1:{bot_port}/bot"
        config = _write_config(workdir, args, port, interval=args.interval, extra=extra)
        _add_subscribers(workdir / "dozor.db", args.subscribers)
        run = _run(config, workdir, port, args, servers={s.pid for s in (feeds, bot) if s is not None})
        _report(args, run, _fetched_by_minute(workdir / "dozor.log", run["started_at"]), _server_stats(port))
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        for server in (feeds, bot):
            if server is not None:
                _stop(server)
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000, help="sources, each its own site (2000)")
    parser.add_argument("--items", type=int, default=30, help="items per feed (30)")
    parser.add_argument("--latency-ms", type=float, default=100, help="delay of every response (100)")
    parser.add_argument("--interval", default="3m", help="every source's poll interval (3m)")
    parser.add_argument("--minutes", type=float, default=10, help="how long dozor runs (10)")
    parser.add_argument("--every", type=float, default=1.0, help="seconds between memory samples (1)")
    parser.add_argument("--publish-per-minute", type=float, default=60,
                        help="new items that hit a topic, on random feeds (60)")
    parser.add_argument("--subscribers", type=int, default=1, help="chats subscribed to every topic (1)")
    parser.add_argument("--no-bot", action="store_true", help="no token: alerts go to the console")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (config, database, log)")
    args = parser.parse_args()
    args.hosts = args.feeds
    return args


def _run(config: Path, workdir: Path, port: int, args: argparse.Namespace, servers: set[int]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}
    if not args.no_bot:
        env["DOZOR_TELEGRAM_TOKEN"] = TOKEN
    command = [sys.executable, "-m", "monitor", "run", "--config", str(config)]
    rng = random.Random(args.seed)
    gap = 60 / args.publish_per_minute if args.publish_per_minute > 0 else float("inf")
    with open(workdir / "dozor.out", "wb") as out, open(workdir / "dozor.log", "wb") as log:
        started, started_at = time.monotonic(), time.time()
        process = subprocess.Popen(command, stdout=out, stderr=log, env=env, cwd=workdir)
        sampler = TreeRss(process.pid, every=args.every, keep=True)
        sampler.start()
        deadline, next_publish, published = started + args.minutes * 60, started + gap, 0
        try:
            while time.monotonic() < deadline and process.poll() is None:
                if time.monotonic() >= next_publish:
                    _publish(port, rng.randrange(args.feeds), rng.choice(PUBLISHED_TITLES))
                    published, next_publish = published + 1, next_publish + gap
                time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
        finally:
            sampler.stop()
            exited = process.poll()
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    _reap_orphans(keep=servers, timeout=30)  # the forkserver and its workers, if they outlived dozor
    if exited is not None:
        tail = (workdir / "dozor.log").read_text(errors="replace").splitlines()[-20:]
        raise SystemExit(f"dozor exited early with status {exited}:\n" + "\n".join(tail))
    return {"started": started, "started_at": started_at, "samples": sampler.samples,
            "peaks": sampler.peaks(), "cpu": sampler.cpu_by_kind(), "published": published,
            "exit": process.returncode}


def _publish(port: int, feed: int, title: str) -> None:
    query = urllib.parse.urlencode({"title": title})
    with urllib.request.urlopen(f"http://127.0.0.2:{port}/__publish/{feed}?{query}", timeout=10) as response:
        response.read()


def _fetched_by_minute(log: Path, started_at: float) -> dict[int, int]:
    """Sources fetched in each minute of the run, from the Poller's "fetched N of M" lines."""
    out: dict[int, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        found = _FETCHED.search(line)
        if found:
            at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp() - started_at
            fetched = int(line[found.start():].split()[2])
            out[int(at // 60)] = out.get(int(at // 60), 0) + fetched
    return out


def _report(args: argparse.Namespace, run: dict, fetched: dict[int, int], served: dict[str, int]) -> None:
    samples = run["samples"]
    if not samples:
        raise SystemExit("no memory samples")
    minutes = int(args.minutes + 0.999)
    by_minute: dict[int, list[tuple]] = {}
    for sample in samples:
        by_minute.setdefault(min(int((sample[0] - run["started"]) // 60), minutes - 1), []).append(sample)
    mb = lambda kb: kb / 1024  # noqa: E731
    peak = max(samples, key=lambda s: s[1])
    print()
    print(f"machine: {os.cpu_count()} cores, {_cpu_model()}, {_ram_gb():.0f} GB RAM; Python {sys.version.split()[0]}")
    print(f"workload: {args.feeds} sources every {args.interval}, {args.items} items a feed, {args.latency_ms:g} ms "
          f"a response, {run['published']} items published ({args.publish_per_minute:g}/min), "
          f"{'no bot' if args.no_bot else f'bot with {args.subscribers} subscriber(s)'}, {args.minutes:g} min, "
          f"sampled every {args.every:g} s; server answered {served.get('200', 0)}×200, {served.get('304', 0)}×304")
    print()
    print("| minute | sources fetched | peak RSS, sum MB | peak PSS, sum MB | dozor RSS MB at that peak | mean RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for minute in range(minutes):
        rows = by_minute.get(minute, [])
        if not rows:
            continue
        top = max(rows, key=lambda s: s[1])
        print(f"| {minute + 1} | {fetched.get(minute, 0)} | {mb(top[1]):.0f} | {mb(max(s[2] for s in rows)):.0f} | "
              f"{mb(top[3].get('dozor', 0)):.0f} | {mb(sum(s[1] for s in rows) / len(rows)):.0f} |")
    first = [s for s in samples if s[0] - run["started"] < 120]
    last = [s for s in samples if s[0] - run["started"] >= args.minutes * 60 - 120]
    print()
    print(f"peak RSS (sum over the tree): {mb(peak[1]):.0f} MB at {peak[0] - run['started']:.0f} s "
          f"({', '.join(f'{k} {mb(v):.0f}' for k, v in peak[3].items())}); peak PSS {mb(max(s[2] for s in samples)):.0f} MB")
    print("peak RSS by process: " + ", ".join(f"{k} {mb(v):.0f} MB" for k, v in run["peaks"].items()))
    print("CPU s by process (as last sampled): " + ", ".join(f"{k} {v:.1f}" for k, v in run["cpu"].items()))
    if first and last:
        print(f"trend: peak of the first 2 min {mb(max(s[1] for s in first)):.0f} MB, "
              f"of the last 2 min {mb(max(s[1] for s in last)):.0f} MB; "
              f"mean {mb(sum(s[1] for s in first) / len(first)):.0f} → {mb(sum(s[1] for s in last) / len(last)):.0f} MB")
    print(f"last sample: {mb(samples[-1][1]):.0f} MB RSS, {mb(samples[-1][2]):.0f} MB PSS; "
          f"target peak RSS ≤ 300 MB: {'met' if peak[1] <= 300 * 1024 else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
