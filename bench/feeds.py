"""Benchmark: how fast does `dozor run --once` poll 2,000 feeds, and what does it cost?

    .venv/bin/python bench/feeds.py                    # the issue's numbers: 2,000 feeds × 30 items, 100 ms
    .venv/bin/python bench/feeds.py --repeat 2         # both passes twice; the table shows the median
    .venv/bin/python bench/feeds.py --feeds 200 --items 10 --latency-ms 50 --dozor-only  # a quick look
    .venv/bin/python bench/feeds.py --profile /tmp/prof  # passes under bench/profile_run.py (slower)
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/feeds.py  # measure another version

`--keep` leaves the temp dir (config, database, Dozor's logs) for a look afterwards.

Steps, each printed as it finishes and summed up in a table at the end (see docs/benchmarks.md):
1. a loopback feed server (bench/feed_server.py) starts in its own process, so its CPU is not
   Dozor's: one address per site from 127.0.0.2 up, every response held back --latency-ms;
2. fresh pass: `dozor run --once` on a generated config (allow_private sources, a few topics,
   a few subscribers so outbox rows are written): wall time; CPU (user+sys of Dozor and every
   process it starts: this script is their subreaper, so RUSAGE_CHILDREN counts them all); peak
   memory, sampled every 50 ms over Dozor's process tree (sum of RSS, and of PSS); and the CPU
   other programs used meanwhile (/proc/stat), since that makes wall times noisy;
3. 304 pass: the same again; every feed answers 304 Not Modified;
4. pure parse cost: feedparser.parse(bytes) (and Dozor's parse_feed) on the same bodies, in-process;
5. naive baseline: feedparser.parse(url) in a plain loop over a sample, scaled to all feeds.

Everything stays on 127.0.0.0/8. The temp dir and the server go away at the end, on Ctrl-C or on
SIGTERM; the server also stops by itself if this script dies (its stdin closes).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import platform
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

from feed_server import feed_body, feed_url  # bench/ is sys.path[0] when run as a script

HERE = Path(__file__).resolve().parent
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
TOPICS = {
    "strikes": ["забастовка", "забастовку", "strike"],
    "protests": ["митинг", "protest"],
    "arrests": ["задержан", "arrested"],  # never fires on these feeds: matching costs the same
}


@dataclass
class Pass:
    """One measured `dozor run --once`."""

    name: str
    wall: float
    cpu_user: float
    cpu_sys: float
    peak_rss_mb: float
    server_cpu: float
    peak_pss_mb: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    processes: dict[str, float] = field(default_factory=dict)  # peak RSS MB by process kind
    others_cores: float = 0.0  # CPU other programs used meanwhile, in cores: noise when > ~0.1
    cpu_by_kind: dict[str, float] = field(default_factory=dict)  # sampled CPU s by process kind
    phases: dict[str, float] = field(default_factory=dict)  # wall s: start-up, crawl, after the crawl

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys


def main() -> int:
    args = _arguments()
    # Ctrl-C raises KeyboardInterrupt; make SIGTERM do the same so the finally blocks run.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    for name in PROXY_VARIABLES:  # loopback only: urllib (the naive loop) and Scrapy read these
        os.environ.pop(name, None)
    os.environ["no_proxy"] = "*"
    _become_subreaper()
    workdir = Path(tempfile.mkdtemp(prefix="dozor-bench-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        now = int(time.time())
        server, port = _start_server(args, now)
        config = _write_config(workdir, args, port)
        runs = [_fresh_then_304(config, workdir, server, port, args) for _ in range(args.repeat)]
        fresh, cached = _median([f for f, _ in runs]), _median([c for _, c in runs])
        bodies = [feed_body(i, args.items, args.hosts, port, now) for i in range(args.feeds)]
        if args.dozor_only:
            _report_passes(args, fresh, cached, bodies)
            return 0
        parse = _parse_cost(bodies, port, args)
        naive = _naive_loop(args, port)
        _report(args, fresh, cached, parse, naive, bodies)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            _stop(server)
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _fresh_then_304(config: Path, workdir: Path, server: subprocess.Popen[bytes], port: int,
                    args: argparse.Namespace) -> tuple[Pass, Pass]:
    """Both passes on a new database."""
    for old in workdir.glob("dozor.db*"):
        old.unlink()
    _add_subscribers(workdir / "dozor.db", args.subscribers)
    fresh = _run_dozor("fresh", config, workdir, server, port, args)
    _expect(fresh.counts["200"] == args.feeds and fresh.counts["articles"] == args.feeds * args.items,
            f"fresh pass fetched {fresh.counts['200']} feeds and stored {fresh.counts['articles']} articles")
    cached = _run_dozor("304", config, workdir, server, port, args)
    _expect(cached.counts["304"] == args.feeds and cached.counts["articles"] == fresh.counts["articles"],
            f"304 pass got {cached.counts['304']} 304s and left {cached.counts['articles']} articles")
    return fresh, cached


def _median(runs: list[Pass]) -> Pass:
    """The run with the median wall time (the lower middle one of an even number)."""
    return sorted(runs, key=lambda run: run.wall)[(len(runs) - 1) // 2]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark dozor run --once against a loopback feed server.")
    parser.add_argument("--feeds", type=int, default=2000, help="feeds (sources) to serve (2000)")
    parser.add_argument("--items", type=int, default=30, help="items per feed (30)")
    parser.add_argument("--latency-ms", type=float, default=100, help="delay of every response (100)")
    parser.add_argument("--hosts", type=int, default=None, help="distinct loopback addresses (default: one per feed)")
    parser.add_argument("--subscribers", type=int, default=5, help="chats subscribed to every topic (5)")
    parser.add_argument("--sample", type=int, default=200, help="feeds in the naive feedparser loop (200)")
    parser.add_argument("--repeat", type=int, default=1, help="run both passes this many times; report the median (1)")
    parser.add_argument("--timeout", type=float, default=900, help="give up on one pass after this many seconds")
    parser.add_argument("--profile", type=Path, help="run each pass under bench/profile_run.py, stats into this folder")
    parser.add_argument("--dozor-only", action="store_true", help="only the two dozor passes (no parse cost, no naive loop)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (config, database, logs)")
    args = parser.parse_args()
    args.hosts = args.hosts or args.feeds
    args.sample = min(args.sample, args.feeds)
    return args


def _start_server(args: argparse.Namespace, now: int) -> tuple[subprocess.Popen[bytes], int]:
    command = [sys.executable, str(HERE / "feed_server.py"), "--feeds", str(args.feeds),
               "--items", str(args.items), "--latency-ms", str(args.latency_ms),
               "--hosts", str(args.hosts), "--now", str(now)]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = _read_line(server, timeout=120)
    if not line:
        _stop(server)
        raise SystemExit("feed server did not start (see its stderr above)")
    port = json.loads(line)["port"]
    print(f"feed server pid {server.pid}: {args.feeds} feeds on {min(args.hosts, args.feeds)} addresses "
          f"from 127.0.0.2, port {port}, {args.latency_ms:g} ms per response", file=sys.stderr)
    return server, port


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    import select

    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline() if ready else b""


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _write_config(workdir: Path, args: argparse.Namespace, port: int, interval: str = "10m",
                  topics: dict[str, list[str]] = TOPICS, extra: str = "") -> Path:
    """Every feed a source (allow_private: loopback), the topics, and `extra` YAML sections."""
    lines = [f"storage:\n  url: sqlite:///{workdir / 'dozor.db'}", "fetch:\n  timeout: 60s", extra, "sources:"]
    for i in range(args.feeds):
        lines.append(f"  - id: feed-{i}\n    feed: {feed_url(i, args.hosts, port)}\n"
                     f"    interval: {interval}\n    allow_private: true")
    lines.append("topics:")
    for topic, terms in topics.items():
        lines.append(f"  - id: {topic}\n    any: [{', '.join(terms)}]")
    path = workdir / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _add_subscribers(database: Path, count: int, topics: dict[str, list[str]] = TOPICS) -> None:
    """Chats subscribed to every topic, so hits also write outbox rows (as in production)."""
    from monitor.store.db import Store
    from monitor.store.subscribers import subscribe

    store = Store(f"sqlite:///{database}")
    try:
        store.upgrade()
        with store.session() as session:
            for chat_id in range(1, count + 1):
                for topic in topics:
                    subscribe(session, chat_id, topic)
    finally:
        store.close()


def _run_dozor(name: str, config: Path, workdir: Path, server: subprocess.Popen[bytes], port: int,
               args: argparse.Namespace) -> Pass:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}  # no token: console alerts
    dozor = [str(HERE / "profile_run.py"), str(args.profile / f"{name}.prof")] if args.profile else ["-m", "monitor"]
    command = [sys.executable, *dozor, "run", "--once", "--config", str(config)]
    before = _server_stats(port)
    server_cpu = _cpu_seconds(server.pid)
    with open(workdir / f"{name}.out", "wb") as out, open(workdir / f"{name}.log", "wb") as log:
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        machine_before = _machine_busy_seconds()
        started, started_at = time.perf_counter(), time.time()
        process = subprocess.Popen(command, stdout=out, stderr=log, env=env, cwd=workdir)
        sampler = TreeRss(process.pid)
        sampler.start()
        try:
            status = _wait(process, args.timeout)
        finally:
            sampler.stop()
            _stop(process)  # only does something when interrupted or timed out
        wall = time.perf_counter() - started
        phases = _phases(workdir / f"{name}.log", started_at, wall)
        _reap_orphans(keep={server.pid}, timeout=30)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        machine_busy = _machine_busy_seconds() - machine_before
    if status != 0:
        tail = (workdir / f"{name}.log").read_text(errors="replace").splitlines()[-20:]
        raise SystemExit(f"{name} pass: dozor exited with status {status}:\n" + "\n".join(tail))
    after = _server_stats(port)
    counts = {key: after.get(key, 0) - before.get(key, 0) for key in ("200", "304", "404")}
    counts.update(_store_counts(workdir / "dozor.db"))
    user, system = cpu_after.ru_utime - cpu_before.ru_utime, cpu_after.ru_stime - cpu_before.ru_stime
    server_cpu = _cpu_seconds(server.pid) - server_cpu
    result = Pass(name, wall, user, system, sampler.peak_kb / 1024, server_cpu, sampler.peak_pss_kb / 1024, counts,
                  {label: kb / 1024 for label, kb in sampler.peaks().items()},
                  others_cores=max(machine_busy - user - system - server_cpu, 0) / wall,
                  cpu_by_kind=sampler.cpu_by_kind(), phases=phases)
    print(f"{name} pass: {wall:.1f} s wall, {result.cpu:.1f} s CPU ({user:.1f} user + {system:.1f} sys), "
          "phases: " + ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in result.phases.items())
          + "; by process: " + ", ".join(f"{kind} {cpu:.1f}" for kind, cpu in result.cpu_by_kind.items())
          + f"; other programs used {result.others_cores:.2f} cores meanwhile, "
          f"peak RSS {result.peak_rss_mb:.0f} MB, PSS {result.peak_pss_mb:.0f} MB (per process: "
          + ", ".join(f"{label} {mb:.0f}" for label, mb in result.processes.items()) + f"); {counts}",
          file=sys.stderr)
    return result


def _phases(log: Path, started_at: float, wall: float) -> dict[str, float]:
    """Wall seconds before the crawl (start-up, claiming), of the crawl, and after it, from the
    Poller's log line "fetched N of M sources in S s" and its timestamp."""
    for line in log.read_text(errors="replace").splitlines():
        found = _FETCHED.search(line)
        if found:
            ended = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp() - started_at
            crawl = float(found.group(1))
            return {"before the crawl": ended - crawl, "crawl": crawl, "after it": wall - ended}
    return {}


_FETCHED = re.compile(r"monitor\.runtime: fetched \d+ of \d+ sources in ([\d.]+) s")


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int:
    """Wait for the process, bounded by `timeout`; its exit status."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"dozor did not finish within --timeout {timeout:g} s") from None


def _become_subreaper() -> None:
    """Orphaned descendants of Dozor (a forkserver, say) become our children, so that waiting
    for them adds their CPU time to RUSAGE_CHILDREN, as Dozor's own waited-for children are."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")


def _reap_orphans(keep: set[int], timeout: float) -> None:
    """Wait for every child but `keep` (Dozor's leftover descendants, reparented to us)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        others = set(_children(os.getpid())) - keep
        if not others:
            return
        for pid in others:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.05)
    raise SystemExit(f"Dozor's child processes {sorted(others)} did not exit within {timeout:g} s")


class TreeRss(threading.Thread):
    """Samples the memory of a process and its descendants (worker pools count too): the peak of
    the sum of their RSS, of their PSS (shared pages split between the processes sharing them,
    so forked workers are not counted twice), and each process's own peak RSS by kind. With
    `keep=True`, every sample is kept too: (time.monotonic(), RSS kB, PSS kB, {label: RSS kB})."""

    def __init__(self, pid: int, every: float = 0.05, keep: bool = False) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb, self.peak_pss_kb = pid, every, 0, 0
        self.keep, self.samples = keep, []  # type: ignore[var-annotated]
        self._seen: set[int] = set()
        self._peaks: dict[int, tuple[str, int]] = {}
        self._cpu: dict[int, float] = {}  # last sampled CPU seconds of each process
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every):
            total = proportional = 0
            by_label: dict[str, int] = {}
            for pid, parent in _tree(self.pid):
                if pid not in self._seen:
                    # Counted from its next sample on: a child caught between fork and exec is
                    # still a copy of its parent (same RSS, same command line).
                    self._seen.add(pid)
                    continue
                if pid not in self._peaks:
                    self._peaks[pid] = (_label(pid, parent, self._peaks), 0)
                rss, pss = _memory_kb(pid)
                total, proportional = total + rss, proportional + pss
                label, peak = self._peaks[pid]
                self._peaks[pid] = (label, max(peak, rss))
                by_label[label] = by_label.get(label, 0) + rss
                try:
                    self._cpu[pid] = _cpu_seconds(pid)
                except (OSError, IndexError):
                    pass  # gone meanwhile: the last sample stands
            self.peak_kb = max(self.peak_kb, total)
            self.peak_pss_kb = max(self.peak_pss_kb, proportional)
            if self.keep and total:
                self.samples.append((time.monotonic(), total, proportional, by_label))

    def peaks(self) -> dict[str, int]:
        """label → peak RSS in kB; processes with the same label (pool workers) keep the largest."""
        out: dict[str, int] = {}
        for label, kb in self._peaks.values():
            out[label] = max(out.get(label, 0), kb)
        return out

    def cpu_by_kind(self) -> dict[str, float]:
        """label → CPU seconds summed over its processes, as last sampled (a lower bound)."""
        out: dict[str, float] = {}
        for pid, seconds in self._cpu.items():
            label = self._peaks[pid][0]
            out[label] = out.get(label, 0.0) + seconds
        return out

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[tuple[int, int | None]]:
    """(pid, parent pid) of a process and all its descendants."""
    found: list[tuple[int, int | None]] = []
    queue: list[tuple[int, int | None]] = [(pid, None)]
    while queue:
        current, parent = queue.pop()
        found.append((current, parent))
        queue.extend((child, current) for child in _children(current))
    return found


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for task in os.listdir(f"/proc/{pid}/task")
                for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        return []


def _label(pid: int, parent: int | None, known: dict[int, tuple[str, int]]) -> str:
    if parent is None:
        return "dozor"
    if parent in known and known[parent][0] == "forkserver":
        return "parse worker"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "child"
    for kind in ("forkserver", "resource_tracker"):
        if kind in command:
            return kind.replace("_", " ")
    return "child"


def _memory_kb(pid: int) -> tuple[int, int]:
    """RSS and PSS of a process in kB; zeros once it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
        return int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0])
    except (OSError, KeyError, ValueError):
        return 0, 0


def _machine_busy_seconds() -> float:
    """CPU seconds all programs have used since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _server_stats(port: int) -> dict[str, int]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.2:{port}/__stats", timeout=10) as response:
            return json.loads(response.read())
    except OSError as exc:
        raise SystemExit(f"the feed server does not answer ({exc}); the pass cannot be checked") from None


def _store_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        one = lambda sql: connection.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "articles": one("SELECT count(*) FROM articles"),
            "hits": one("SELECT count(*) FROM hits"),
            "deliveries": one("SELECT count(*) FROM deliveries"),
            "failing_sources": one("SELECT count(*) FROM sources WHERE consecutive_failures > 0"),
        }


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark invalid: {what}")


def _parse_cost(bodies: list[bytes], port: int, args: argparse.Namespace) -> dict[str, float]:
    """CPU seconds to parse every body: bare feedparser, and Dozor's whole parse step."""
    import feedparser

    from monitor.parse import parse_feed

    started = time.process_time()
    for body in bodies:
        feedparser.parse(body)
    bare = time.process_time() - started
    now = datetime.now(timezone.utc)
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    started = time.process_time()
    for i, body in enumerate(bodies):
        parse_feed(body, feed_url(i, args.hosts, port), headers, now)
    ours = time.process_time() - started
    print(f"parse cost: feedparser {bare:.1f} s CPU, Dozor's parse_feed {ours:.1f} s CPU "
          f"for {len(bodies)} feeds", file=sys.stderr)
    return {"feedparser": bare, "parse_feed": ours}


def _naive_loop(args: argparse.Namespace, port: int) -> dict[str, float]:
    """feedparser.parse(url) one after another over an evenly spread sample, scaled up."""
    import feedparser

    step = max(args.feeds // args.sample, 1)
    sample = list(range(0, args.feeds, step))[: args.sample]
    started, cpu = time.perf_counter(), time.process_time()
    for i in sample:
        parsed = feedparser.parse(feed_url(i, args.hosts, port))
        _expect(len(parsed.entries) == args.items, f"naive loop read {len(parsed.entries)} items of feed {i}")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    scale = args.feeds / len(sample)
    print(f"naive loop: {len(sample)} feeds in {wall:.1f} s wall ({cpu:.1f} s CPU); "
          f"×{scale:g} = {wall * scale:.0f} s", file=sys.stderr)
    return {"wall": wall * scale, "cpu": cpu * scale, "sample": len(sample)}


def _report(args: argparse.Namespace, fresh: Pass, cached: Pass, parse: dict[str, float],
            naive: dict[str, float], bodies: list[bytes]) -> None:
    from monitor.config import Config
    from monitor.fetch import scrapy_settings

    settings = scrapy_settings(Config())
    per_domain = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    concurrency = min(settings.getint("CONCURRENT_REQUESTS"), min(args.hosts, args.feeds) * per_domain)
    cores = os.cpu_count() or 1
    network_floor = args.feeds * args.latency_ms / 1000 / concurrency
    floor = max(parse["feedparser"] / cores, network_floor)
    _report_passes(args, fresh, cached, bodies)
    print()
    print("| reference | wall s | CPU s |")
    print("|---|---:|---:|")
    print(f"| naive feedparser.parse(url) loop, {naive['sample']:g} feeds ×{args.feeds / naive['sample']:g} "
          f"| {naive['wall']:.1f} | {naive['cpu']:.1f} |")
    print(f"| pure parse: feedparser.parse(bytes) × {args.feeds} | | {parse['feedparser']:.1f} |")
    print(f"| pure parse: Dozor's parse_feed × {args.feeds} | | {parse['parse_feed']:.1f} |")
    print(f"| floor = max({parse['feedparser']:.1f} s / {cores} cores, {args.feeds} × {args.latency_ms:g} ms / "
          f"{concurrency} concurrent) | {floor:.1f} | |")
    print()
    targets = [
        ("304 pass CPU ≤ 10% of fresh pass CPU", cached.cpu <= 0.1 * fresh.cpu,
         f"{cached.cpu / fresh.cpu:.0%}"),
        ("fresh pass ≥ 10× faster than the naive loop", fresh.wall * 10 <= naive["wall"],
         f"{naive['wall'] / fresh.wall:.1f}×"),
        ("fresh pass within 1.5× of the floor", fresh.wall <= 1.5 * floor, f"{fresh.wall / floor:.2f}× floor"),
        ("peak RSS ≤ 300 MB", max(fresh.peak_rss_mb, cached.peak_rss_mb) <= 300,
         f"{max(fresh.peak_rss_mb, cached.peak_rss_mb):.0f} MB"),
    ]
    print("| target | met | actual |")
    print("|---|---|---|")
    for what, met, actual in targets:
        print(f"| {what} | {'yes' if met else 'NO'} | {actual} |")


def _report_passes(args: argparse.Namespace, fresh: Pass, cached: Pass, bodies: list[bytes]) -> None:
    cores = os.cpu_count() or 1
    print()
    print(f"machine: {cores} cores, {_cpu_model()}, {_ram_gb():.0f} GB RAM; Python {platform.python_version()}; "
          + ", ".join(f"{p} {version(p)}" for p in ("scrapy", "twisted", "feedparser", "sqlalchemy")))
    print(f"workload: {args.feeds} feeds × {args.items} items ({sum(map(len, bodies)) / 1e6:.1f} MB), "
          f"{args.latency_ms:g} ms per response, {min(args.hosts, args.feeds)} addresses, "
          f"{args.subscribers} subscribers × {len(TOPICS)} topics"
          + (" — PROFILED, timings inflated" if args.profile else ""))
    print()
    print("| pass | wall s | phases s | CPU s (user+sys) | CPU s by process | peak RSS MB, sum (PSS) | RSS by process MB | "
          "server CPU s | other programs, cores | result |")
    print("|---|---:|---|---:|---|---:|---|---:|---:|---|")
    for label, run in (("fresh", fresh), ("304", cached)):
        counts = run.counts
        processes = ", ".join(f"{kind} {mb:.0f}" for kind, mb in run.processes.items())
        cpu = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in run.cpu_by_kind.items())
        phases = ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in run.phases.items())
        print(f"| {label} | {run.wall:.1f} | {phases} | {run.cpu:.1f} ({run.cpu_user:.1f}+{run.cpu_sys:.1f}) | {cpu} | "
              f"{run.peak_rss_mb:.0f} ({run.peak_pss_mb:.0f}) | {processes} | {run.server_cpu:.1f} | "
              f"{run.others_cores:.2f} | {counts['200']}×200, {counts['304']}×304; {counts['articles']} "
              f"articles, {counts['hits']} hits, {counts['deliveries']} outbox rows |")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _ram_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
