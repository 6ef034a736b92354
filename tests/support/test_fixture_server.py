"""FixtureServer driven by real HTTP clients (httpx, urllib) and parsed with feedparser."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
import pytest

from tests.support.fixture_server import FixtureServer


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as fixture:
        yield fixture


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


def test_etag_and_last_modified_round_trip_to_304(
    server: FixtureServer, client: httpx.Client
) -> None:
    url = server.serve_bytes("/feed.xml", b"<rss>one</rss>")

    first = client.get(url)
    by_etag = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    server.serve_bytes("/feed.xml", b"<rss>two</rss>")  # the newest body wins
    changed = client.get(url, headers={
        "If-None-Match": first.headers["ETag"],
        "If-Modified-Since": first.headers["Last-Modified"],
    })
    # Replaced within the same second, the body must still count as modified since.
    changed_by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert first.status_code == 200 and first.content == b"<rss>one</rss>"
    assert first.headers["Content-Type"] == "application/xml"
    assert first.headers["ETag"].startswith('"')  # strong validator
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")
    assert changed.status_code == 200 and changed.content == b"<rss>two</rss>"
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert changed_by_date.status_code == 200
    assert server.hits("/feed.xml") == 5


def test_serve_file_guesses_type_and_adds_headers(
    server: FixtureServer, client: httpx.Client, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_text("<p>Забастовка</p>", encoding="utf-8")

    url = server.serve_file("/page.html", page, headers={"Cache-Control": "max-age=60"})
    response = client.get(url)

    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "max-age=60"
    assert response.content.decode("utf-8") == "<p>Забастовка</p>"


def test_feed_items_are_escaped_newest_first_and_parse(
    server: FixtureServer, client: httpx.Client
) -> None:
    feed = server.feed("/rss.xml", title="Labour & civic")
    empty = client.get(feed.url)
    feed.add_item("Strike at <Plant> & Co", description="Workers <b>walked</b> out",
                  published=datetime(2024, 5, 1, 9, 30, tzinfo=UTC))
    second = feed.add_item("Забастовка", guid="urn:dozor:2")

    response = client.get(feed.url, headers={"If-None-Match": empty.headers["ETag"]})
    parsed = feedparser.parse(response.content)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "Labour & civic"
    assert [e.title for e in parsed.entries] == ["Забастовка", "Strike at <Plant> & Co"]
    newest, oldest = parsed.entries
    assert newest.link == server.url("/articles/2") == second["link"]
    assert newest.id == "urn:dozor:2"
    assert oldest.id == oldest.link == server.url("/articles/1")
    assert oldest.published_parsed[:5] == (2024, 5, 1, 9, 30)
    assert "Workers" in oldest.summary


def test_status_route_via_urllib(server: FixtureServer) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(server.url("/status/500"), timeout=5)

    assert raised.value.code == 500
    assert raised.value.read() == b"status 500\n"


def test_redirect_retry_after_and_unknown_path(server: FixtureServer, client: httpx.Client) -> None:
    server.serve_bytes("/target", b"landed", content_type="text/plain")

    redirect = client.get(server.url("/redirect"), params={"to": server.url("/target")})
    followed = client.get(server.url("/redirect?to=/target"), follow_redirects=True)
    limited = client.get(server.url("/retry-after?seconds=7"))
    missing = client.get(server.url("/nothing-here"))

    assert redirect.status_code == 302 and redirect.headers["Location"] == server.url("/target")
    assert followed.status_code == 200 and followed.content == b"landed"
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert missing.status_code == 404


def test_slow_does_not_block_other_requests(server: FixtureServer) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool, httpx.Client(timeout=5) as slow_client:
        slow = pool.submit(slow_client.get, server.url("/slow?seconds=1"))
        server.wait_for(lambda: server.hits("/slow"))
        started = time.monotonic()

        fast = httpx.get(server.url("/status/200"), timeout=5)

        assert fast.status_code == 200
        assert time.monotonic() - started < 0.5
        assert not slow.done()
        assert slow.result(timeout=5).status_code == 200


def test_huge_streams_the_requested_size(server: FixtureServer, client: httpx.Client) -> None:
    with client.stream("GET", server.url("/huge?mb=2")) as response:
        assert "Content-Length" not in response.headers  # chunked, size only known at the end
        size = sum(len(chunk) for chunk in response.iter_bytes())
    declared = client.head(server.url("/huge?mb=0.5&content_length=1"))

    assert size == 2 * 1024 * 1024
    assert declared.headers["Content-Length"] == str(512 * 1024)


def test_requests_are_recorded_with_lowercase_headers(
    server: FixtureServer, client: httpx.Client
) -> None:
    client.get(server.url("/status/204?x=1"), headers={"X-Probe": "yes"})
    client.get(server.url("/status/204?x=2"))

    first, second = server.requests
    assert (first.method, first.path, first.headers["x-probe"]) == ("GET", "/status/204?x=1", "yes")
    assert 0 < first.time <= second.time
    assert server.hits("/status/204") == 2 and server.hits("/status/204?x=2") == 1


def test_reachable_from_a_subprocess(server: FixtureServer) -> None:
    url = server.serve_bytes("/hello", b"hi from the fixture", content_type="text/plain")
    script = "import sys, urllib.request as u; print(u.urlopen(sys.argv[1]).read().decode())"

    result = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True,
                            timeout=30, check=True)

    assert result.stdout.strip() == "hi from the fixture"


def test_wait_for_timeout_lists_the_requests(server: FixtureServer, client: httpx.Client) -> None:
    client.get(server.url("/status/404"))

    with pytest.raises(AssertionError) as raised:
        server.wait_for(lambda: server.hits("/rss.xml"), timeout=0.05, what="a feed poll")

    assert "a feed poll" in str(raised.value) and "GET /status/404" in str(raised.value)


def test_stop_cuts_a_slow_request_short() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        with FixtureServer() as server:
            slow = pool.submit(httpx.get, server.url("/slow?seconds=30"), timeout=10)
            server.wait_for(lambda: server.hits("/slow"))
            started = time.monotonic()
        assert time.monotonic() - started < 3
        assert slow.result(timeout=5).status_code == 200
