"""A loopback web server for feed and page fixtures, for scraper tests.

The server runs aiohttp on 127.0.0.1 (a free port) in a background thread with its own event
loop, so sync tests, async tests and a scraper running as a subprocess can all fetch from it:

    with FixtureServer() as server:
        server.serve_file("/page.html", FIXTURES / "page.html")
        feed = server.feed("/rss.xml", title="Labour news")
        feed.add_item("Strike at the plant", description="Workers walked out")
        run_scraper(server.url("/rss.xml"))
        server.wait_for(lambda: server.hits("/rss.xml") >= 2, what="a second poll")

Served bodies get a strong ETag and a Last-Modified and answer conditional requests with 304.
Built-in routes for failure cases:

    /status/<n>              answers status n
    /slow?seconds=S          answers after S seconds (other requests are not held up)
    /huge?mb=N               streams N MiB (chunked; add &content_length=1 to declare the size)
    /redirect?to=URL         302 to URL (&status=301 etc. for another redirect code)
    /retry-after?seconds=S   429 with Retry-After: S

Every request is recorded (`requests`, `hits`), and `wait_for` wakes up whenever one is, so
tests never need to sleep.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, NamedTuple

from aiohttp import web
from multidict import CIMultiDict

from tests.support._loopback import LoopbackServer

_CHUNK = b"x" * 65536


class RecordedRequest(NamedTuple):
    method: str
    path: str  # path with query string, as requested
    headers: dict[str, str]  # keys lower-cased, so lookups do not depend on client casing
    time: float = 0.0  # time.monotonic() when it arrived


@dataclass(frozen=True)
class _Body:
    body: bytes
    content_type: str
    headers: dict[str, str]
    etag: str
    last_modified: datetime


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class FixtureServer(LoopbackServer):
    """Loopback server for fixture files, live RSS feeds and failure routes (see module doc)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self._stopping: asyncio.Event | None = None
        # `self._cond` (from LoopbackServer) guards these; wait_for predicates may call hits().
        self._bodies: dict[str, _Body] = {}
        self._requests: list[RecordedRequest] = []

    @property
    def base_url(self) -> str:
        return self.url("")

    # ----------------------------------------------------------------- content

    def serve_bytes(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/xml",
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve `body` at `path` (query strings are ignored when matching); returns the URL.

        Calling again replaces the body. `headers` are added last, so they may override
        the generated ones (to fake a misbehaving server, say).
        """
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        now = datetime.now(UTC).replace(microsecond=0)
        with self._cond:
            previous = self._bodies.get(path)
            if previous is not None and previous.etag == etag:
                last_modified = previous.last_modified
            elif previous is not None and now <= previous.last_modified:
                # HTTP dates have one-second resolution: a body replaced within the same
                # second must still look newer, or If-Modified-Since would wrongly get a 304.
                last_modified = previous.last_modified + timedelta(seconds=1)
            else:
                last_modified = now
            self._bodies[path] = _Body(body, content_type, dict(headers or {}), etag, last_modified)
        return self.url(path)

    def serve_file(
        self,
        path: str,
        file_path: str | Path,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve the file's current bytes at `path` (read now, not per request); returns the URL."""
        if content_type is None:
            content_type = mimetypes.guess_type(str(file_path))[0] or "application/octet-stream"
        return self.serve_bytes(path, Path(file_path).read_bytes(), content_type, headers)

    def feed(self, path: str, title: str = "Fixture feed") -> FixtureFeed:
        """A live RSS 2.0 feed served at `path`, starting empty."""
        return FixtureFeed(self, path, title)

    # ----------------------------------------------------------------- records

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    def hits(self, path: str) -> int:
        """Requests for `path`; with a '?' in it the query must match too, otherwise any query."""
        with self._cond:
            if "?" in path:
                return sum(1 for r in self._requests if r.path == path)
            return sum(1 for r in self._requests if r.path.split("?", 1)[0] == path)

    def _progress(self) -> str:
        seen = "\n".join(f"  {r.method} {r.path}" for r in self._requests[-30:])
        return f"Requests so far ({len(self._requests)}):\n{seen or '  (none)'}"

    # ----------------------------------------------------------------- loop plumbing

    async def _bind(self, port: int) -> None:
        self._stopping = asyncio.Event()
        await super()._bind(port)

    async def _unbind(self) -> None:
        assert self._stopping is not None
        self._stopping.set()  # cut /slow and /huge short so shutdown does not wait for them
        await super()._unbind()

    # ----------------------------------------------------------------- request handling

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        with self._cond:
            self._requests.append(RecordedRequest(
                request.method,
                request.path_qs,
                {name.lower(): value for name, value in request.headers.items()},
                time.monotonic(),
            ))
            self._cond.notify_all()
            served = self._bodies.get(request.path)
        try:
            if served is not None:
                return self._serve(request, served)
            return await self._builtin(request)
        except ValueError as error:  # a malformed query parameter
            return web.Response(status=400, text=f"bad request: {error}\n")

    @staticmethod
    def _serve(request: web.BaseRequest, served: _Body) -> web.Response:
        headers = CIMultiDict(
            {"ETag": served.etag, "Last-Modified": _http_date(served.last_modified)}
        )
        headers.update(served.headers)  # case-insensitive replace, so overrides really override
        if request.method in ("GET", "HEAD") and _not_modified(request, served):
            return web.Response(status=304, headers=headers)
        headers.setdefault("Content-Type", served.content_type)
        return web.Response(body=served.body, headers=headers)

    async def _builtin(self, request: web.BaseRequest) -> web.StreamResponse:
        path, query = request.path, request.query
        if path.startswith("/status/"):
            status = int(path.removeprefix("/status/"))
            if not 200 <= status <= 599:
                raise ValueError(f"status {status} is not a final HTTP status")
            if status in (204, 304):
                return web.Response(status=status)
            return web.Response(status=status, text=f"status {status}\n")
        if path == "/slow":
            seconds = float(query.get("seconds", "1"))
            assert self._stopping is not None
            try:
                await asyncio.wait_for(self._stopping.wait(), seconds)
            except TimeoutError:
                pass
            return web.Response(text=f"slow answer after {seconds}s\n")
        if path == "/huge":
            return await self._huge(request, float(query.get("mb", "1")))
        if path == "/redirect":
            if "to" not in query:
                raise ValueError("/redirect needs ?to=URL")
            status = int(query.get("status", "302"))
            return web.Response(status=status, headers={"Location": query["to"]})
        if path == "/retry-after":
            seconds = query.get("seconds", "1")
            return web.Response(
                status=429, text="Too Many Requests\n", headers={"Retry-After": seconds}
            )
        return web.Response(status=404, text=f"no fixture at {path}\n")

    async def _huge(self, request: web.BaseRequest, mb: float) -> web.StreamResponse:
        total = int(mb * 1024 * 1024)
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if request.query.get("content_length") in ("1", "true"):
            response.content_length = total
        await response.prepare(request)
        assert self._stopping is not None
        written = 0
        try:
            while written < total and not self._stopping.is_set():
                chunk = _CHUNK[: total - written]
                await response.write(chunk)
                written += len(chunk)
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up, which is what a size limit should make it do
        return response


def _not_modified(request: web.BaseRequest, served: _Body) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        # When If-None-Match is present, If-Modified-Since is ignored (RFC 9110, 13.2.2).
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or served.etag in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # an unparsable date is ignored, as RFC 9110 says
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return served.last_modified <= since
    return False


class FixtureFeed:
    """A live RSS 2.0 feed on a FixtureServer; every change re-renders the served body."""

    def __init__(self, server: FixtureServer, path: str, title: str) -> None:
        self._server = server
        self._path = path
        self._title = title
        self._items: list[dict[str, Any]] = []  # newest first, as in the XML
        self._lock = threading.Lock()
        self._render()

    @property
    def url(self) -> str:
        return self._server.url(self._path)

    @property
    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(item) for item in self._items]

    def add_item(
        self,
        title: str,
        link: str | None = None,
        description: str = "",
        guid: str | None = None,
        published: datetime | None = None,
    ) -> dict[str, Any]:
        """Add an item on top of the feed; returns it (title, link, description, guid, published).

        `link` defaults to /articles/<n> on this server, `guid` to the link, `published` to
        now (a naive datetime is taken as UTC).
        """
        with self._lock:
            number = len(self._items) + 1
            link = link or self._server.url(f"/articles/{number}")
            published = published or datetime.now(UTC).replace(microsecond=0)
            if published.tzinfo is None:
                published = published.replace(tzinfo=UTC)
            item = {
                "title": title,
                "link": link,
                "description": description,
                "guid": guid or link,
                "published": published,
            }
            self._items.insert(0, item)
            self._render()
        return dict(item)

    def _render(self) -> None:
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        ET.SubElement(channel, "title").text = self._title
        ET.SubElement(channel, "link").text = self._server.url("/")
        ET.SubElement(channel, "description").text = self._title
        for item in self._items:
            node = ET.SubElement(channel, "item")
            ET.SubElement(node, "title").text = item["title"]
            ET.SubElement(node, "link").text = item["link"]
            ET.SubElement(node, "description").text = item["description"]
            # A guid that is not the link must say so, or readers treat it as a URL.
            is_permalink = "true" if item["guid"] == item["link"] else "false"
            ET.SubElement(node, "guid", isPermaLink=is_permalink).text = item["guid"]
            ET.SubElement(node, "pubDate").text = format_datetime(item["published"])
        body = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
        self._server.serve_bytes(self._path, body, "application/rss+xml; charset=utf-8")
