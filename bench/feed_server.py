"""A loopback feed server for the benchmark: N synthetic RSS 2.0 feeds, each on its own site.

    .venv/bin/python bench/feed_server.py --feeds 2000 --items 30 --latency-ms 100 --hosts 2000 --now EPOCH

Feed i lives at http://127.0.x.y:PORT/feeds/<i>.xml, on address number i % hosts counted up from
127.0.0.2 (Linux routes all of 127/8 to lo; every address gets its own listening socket, so to
Scrapy each is a distinct site with its own per-domain slot and connection pool). Every response,
304s included, is held back `--latency-ms` after its request arrives, as a remote site's would be.
Bodies carry a strong ETag; If-None-Match with it answers 304 Not Modified with no body.
`GET /__stats` (no delay) answers {"200": n, "304": n, "404": n} as JSON.
`GET /__publish/<i>?title=T` (no delay) puts a new item on top of feed i (the oldest drops off,
so the feed keeps --items) and answers {"at": time.monotonic(), "url": …}: from "at" on, every
response for that feed carries the item. `GET /__published` lists them: url, at, and served, the
time the first response carrying it was written. CLOCK_MONOTONIC is one clock for every process
of the machine, so the benchmark can compare these times with those other processes record.

Prints {"port": P} on stdout once listening. Stops on SIGINT/SIGTERM, when its stdin closes (the
benchmark died), or after --max-seconds. `feed_body` is importable: the benchmark rebuilds the
same bytes to time parsing them.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import signal
import sys
import time
from collections import Counter
from email.utils import formatdate
from html import escape
from ipaddress import IPv4Address
from urllib.parse import parse_qs, urlsplit

FIRST_ADDRESS = IPv4Address("127.0.0.2")
IDLE_SECONDS = 5.0  # real sites close idle keep-alive connections too; keeps open files bounded

# Headlines and sentences built from these; the bench topics match some of the words.
_RU_SUBJECTS = ["Рабочие завода", "Учителя школ", "Водители автобусов", "Врачи поликлиники",
                "Жители микрорайона", "Сотрудники месторождения", "Шахтёры", "Курьеры"]
_RU_PLACES = ["в Темиртау", "в Жанаозене", "в Алматы", "в Караганде", "в Актобе", "в Шымкенте",
              "в Павлодаре", "в Атырау"]
_RU_EVENTS = ["объявили забастовку", "вышли на митинг", "подали иск в суд", "потребовали повысить зарплату",
              "пожаловались на задержку выплат", "обратились к акиму", "провели собрание",
              "получили ответ министерства"]
_RU_FILLER = ["По словам участников, администрация не выходит на связь уже неделю.",
              "Представители компании отказались от комментариев.",
              "В профсоюзе заявили, что готовы к переговорам.",
              "Местные власти обещали рассмотреть обращение в течение месяца.",
              "Ранее аналогичные требования выдвигали работники соседнего предприятия.",
              "Суд назначил рассмотрение дела на следующую неделю.",
              "Журналисты не смогли получить доступ на территорию объекта.",
              "Акимат сообщил, что ситуация находится на контроле."]
_EN_SUBJECTS = ["Oil workers", "Teachers", "Bus drivers", "Nurses", "Residents", "Miners", "Couriers",
                "Railway staff"]
_EN_PLACES = ["in Temirtau", "in Zhanaozen", "in Almaty", "in Karaganda", "in Aktobe", "in Shymkent"]
_EN_EVENTS = ["went on strike", "held a protest", "filed a lawsuit", "demanded higher pay",
              "complained about unpaid wages", "met the regional governor", "held a meeting",
              "received a reply from the ministry"]
_EN_FILLER = ["Participants said the management had not been in touch for a week.",
              "The company declined to comment.",
              "The union said it was ready for talks.",
              "Local authorities promised to review the appeal within a month.",
              "Workers at a neighbouring plant made similar demands earlier.",
              "The court set the hearing for next week.",
              "Reporters were not allowed onto the site.",
              "The regional administration said it was monitoring the situation."]


def address(index: int, hosts: int) -> str:
    """The loopback address that serves feed `index`."""
    return str(FIRST_ADDRESS + index % hosts)


def feed_url(index: int, hosts: int, port: int) -> str:
    return f"http://{address(index, hosts)}:{port}/feeds/{index}.xml"


def feed_body(index: int, items: int, hosts: int, port: int, now: int) -> bytes:
    """Feed `index` as RSS 2.0 bytes; the same arguments always give the same bytes."""
    rng = random.Random(index)
    russian = index % 3 != 2  # two feeds in three are in Russian
    subjects, places, events, filler = (
        (_RU_SUBJECTS, _RU_PLACES, _RU_EVENTS, _RU_FILLER) if russian
        else (_EN_SUBJECTS, _EN_PLACES, _EN_EVENTS, _EN_FILLER))
    site = f"http://{address(index, hosts)}:{port}"
    declared = f"<language>{'ru' if russian else 'en'}</language>" if index % 2 else ""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
           f"<title>Bench outlet {index}</title><link>{site}/</link>"
           f"<description>Synthetic feed {index} for the Dozor benchmark</description>{declared}"]
    for n in range(items):
        title = f"{rng.choice(subjects)} {rng.choice(places)} {rng.choice(events)}"
        sentences = [f"{title}."] + rng.sample(filler, rng.randint(2, 4))
        description = "<p>" + "</p><p>".join(escape(s) for s in sentences) + "</p>"
        published = formatdate(now - 600 - n * 3600, usegmt=True)  # hourly, newest 10 min ago
        out.append(f"<item><title>{escape(title)}</title><link>{site}/news/{index}-{n}.html</link>"
                   f'<guid isPermaLink="false">bench-{index}-{n}</guid>'
                   f"<description><![CDATA[{description}]]></description>"
                   f"<pubDate>{published}</pubDate></item>")
    out.append("</channel></rss>\n")
    return "".join(out).encode("utf-8")


class FeedServer:
    """The feeds, their ETags and the response counts."""

    def __init__(self, feeds: int, items: int, hosts: int, port: int, now: int, latency: float) -> None:
        self.latency = latency
        self.items = items
        self.bodies = {f"/feeds/{i}.xml": feed_body(i, items, hosts, port, now) for i in range(feeds)}
        self.etags = {path: '"' + hashlib.sha1(body).hexdigest() + '"' for path, body in self.bodies.items()}
        self.counts: Counter[str] = Counter()
        self.published: list[dict[str, object]] = []  # url, at, served (None until a 200 carries it)
        self.unserved: dict[str, list[dict[str, object]]] = {}  # feed path → its items not served yet

    def respond(self, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if target == "/__stats":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.counts).encode()
        if target.startswith("/__publish/"):
            return self.publish(target)
        if target == "/__published":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.published).encode()
        body = self.bodies.get(target)
        if body is None:
            self.counts["404"] += 1
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        etag = self.etags[target]
        if headers.get("if-none-match") == etag:
            self.counts["304"] += 1
            return 304, {"ETag": etag}, b""
        self.counts["200"] += 1
        for item in self.unserved.pop(target, ()):
            item["served"] = time.monotonic()
        return 200, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}, body

    def publish(self, target: str) -> tuple[int, dict[str, str], bytes]:
        """A new item on top of a feed, served from now on; the oldest item drops off."""
        parts = urlsplit(target)
        path = f"/feeds/{parts.path.rsplit('/', 1)[1]}.xml"
        body = self.bodies.get(path)
        if body is None:
            return 404, {"Content-Type": "text/plain"}, b"no such feed\n"
        number = len(self.published) + 1
        title = parse_qs(parts.query).get("title", [f"Published item {number}"])[0]
        site = body.split(b"<link>", 1)[1].split(b"</link>", 1)[0].decode().rstrip("/")
        url = f"{site}/news/published-{number}.html"
        item = (f"<item><title>{escape(title)}</title><link>{url}</link>"
                f'<guid isPermaLink="false">published-{number}</guid>'
                f"<description><![CDATA[<p>{escape(title)}.</p>]]></description>"
                f"<pubDate>{formatdate(time.time(), usegmt=True)}</pubDate></item>").encode()
        end = body.rfind(b"</channel>")
        first = body.find(b"<item>")
        head = body[: first if first >= 0 else end]
        items = body[len(head): end]
        if self.items and items.count(b"<item>") >= self.items:
            items = items[: items.rfind(b"<item>")]
        body = head + item + items + body[end:]
        self.bodies[path] = body
        self.etags[path] = '"' + hashlib.sha1(body).hexdigest() + '"'
        record = {"url": url, "at": time.monotonic(), "served": None}  # responses from now on carry it
        self.published.append(record)
        self.unserved.setdefault(path, []).append(record)
        return 200, {"Content-Type": "application/json"}, json.dumps(record).encode()


class HttpConnection(asyncio.Protocol):
    """Just enough HTTP/1.1 for Scrapy and urllib: GET, keep-alive, answers in request order."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle:
            self.idle.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            delay = 0.0 if head.startswith(b"GET /__") else self.server.latency
            asyncio.get_running_loop().call_later(delay, self._answer, head)
            self._arm_idle(delay)

    def _answer(self, head: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        request_line, *lines = head.decode("latin-1").split("\r\n")
        _method, target, version = (request_line.split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep = connection == "keep-alive" if version == "HTTP/1.0" else connection != "close"
        status, extra, body = self.server.respond(target, headers)
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
        fields = {**extra, "Content-Length": str(len(body)), "Connection": "keep-alive" if keep else "close"}
        if status == 304:
            del fields["Content-Length"]  # a 304 has no body (RFC 9110 §15.4.5)
        text = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
        self.transport.write(text.encode("latin-1") + b"\r\n" + body)
        if not keep:
            self.transport.close()

    def _arm_idle(self, extra: float = 0.0) -> None:
        if self.idle:
            self.idle.cancel()
        loop = asyncio.get_running_loop()
        self.idle = loop.call_later(IDLE_SECONDS + extra, self._close_idle)

    def _close_idle(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    # The benchmark holds our stdin open; EOF means it is gone, so we go too.
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.buffer.read1(1024) or stop.set())
    hosts = [address(i, args.hosts) for i in range(min(args.hosts, args.feeds))]
    servers, port = await _bind(hosts, args)
    print(json.dumps({"port": port}), flush=True)
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except TimeoutError:
        print(f"feed_server: stopping after --max-seconds {args.max_seconds}", file=sys.stderr)
    for server in servers:
        server.close()


async def _bind(hosts: list[str], args: argparse.Namespace) -> tuple[list[asyncio.Server], int]:
    """One listening socket per address, all on one free port (tried a few times)."""
    loop = asyncio.get_running_loop()
    for _attempt in range(5):
        first = await loop.create_server(lambda: None, hosts[0], 0)  # type: ignore[arg-type,return-value]
        port = first.sockets[0].getsockname()[1]
        first.close()
        feeds = FeedServer(args.feeds, args.items, args.hosts, port, args.now, args.latency_ms / 1000)
        try:
            server = await loop.create_server(lambda: HttpConnection(feeds), hosts, port, backlog=1024)
        except OSError:
            continue  # another program took the port on one of the addresses meanwhile
        return [server], port
    raise SystemExit("feed_server: no port free on every address after 5 tries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--hosts", type=int, default=2000, help="distinct loopback addresses (sites)")
    parser.add_argument("--now", type=int, required=True, help="epoch seconds the pubDates count back from")
    parser.add_argument("--max-seconds", type=float, default=3600)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
