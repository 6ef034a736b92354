"""Ingestion paths through the real service (`dozor run --once`) against loopback servers:
article pages matched on their main text only, and failing sources paused with admins told."""

from __future__ import annotations

from pathlib import Path

from tests.support.fake_telegram import FakeBotApi
from tests.support.fixture_server import FixtureServer
from tests.support.service import run_once

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
ADMIN = 777

ARTICLE = """<html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<aside class="sidebar"><h3>Most read</h3><ul>{sidebar}</ul></aside>
<footer>© Fixture Outlet</footer></body></html>"""

BODY = "".join(f"<p>Paragraph {n} of a long report about the regional budget and roads.</p>" for n in range(6))


def page(title: str, extra_body: str = "", sidebar: str = "") -> bytes:
    items = "".join(f"<li><a href='/x/{n}'>{sidebar}</a></li>" for n in range(5)) if sidebar else ""
    return ARTICLE.format(title=title, body=BODY + extra_body, sidebar=items).encode()



def fetch_article_config(tmp_path: Path, server: FixtureServer) -> Path:
    """One loopback feed whose items' pages are fetched and matched; one topic, strikes."""
    config = tmp_path / "config.yaml"
    config.write_text(f"""
sources:
  - id: outlet
    feed: {server.url("/feed.xml")}
    allow_private: true
    fetch_article: true
topics:
  - id: strikes
    any: [strike]
""", encoding="utf-8")
    return config


def test_fetch_article_matches_the_main_text_but_not_the_sidebar(tmp_path):
    with FixtureServer() as server:
        server.serve_bytes("/a/body", page("Regional report",
                           "<p>Oil workers in Zhanaozen went on strike on Monday demanding higher pay.</p>"),
                           content_type="text/html; charset=utf-8")
        server.serve_bytes("/a/sidebar", page("Budget hearing", sidebar="Teachers strike in Almaty"),
                           content_type="text/html; charset=utf-8")
        feed = server.feed("/feed.xml")
        feed.add_item("Regional report", link=server.url("/a/body"), description="Budget news")
        feed.add_item("Budget hearing", link=server.url("/a/sidebar"), description="Budget news")
        result = run_once(fetch_article_config(tmp_path, server))
        fetched = {r.path for r in server.requests}
    assert {"/a/body", "/a/sidebar"} <= fetched
    alerts = [line for line in result.stdout.splitlines() if line.startswith("ALERT")]
    assert alerts == [f"ALERT [strikes] Regional report | outlet | {server.url('/a/body')} | strike"]


def test_fetch_article_obeys_robots_txt_on_a_private_host_too(tmp_path):
    """robots.txt is fetched under the page's own allow_private, so a disallowed page is never
    requested (before, the guard refused the robots.txt request and Scrapy then allowed all)."""
    with FixtureServer() as server:
        server.serve_bytes("/robots.txt", b"User-agent: *\nDisallow: /members/\n", content_type="text/plain")
        server.serve_bytes("/a/open", page("Open report", "<p>Dockers went on strike.</p>"),
                           content_type="text/html; charset=utf-8")
        server.serve_bytes("/members/closed", page("Members only", "<p>A strike vote.</p>"),
                           content_type="text/html; charset=utf-8")
        feed = server.feed("/feed.xml")
        feed.add_item("Open report", link=server.url("/a/open"), description="Port news")
        feed.add_item("Members only", link=server.url("/members/closed"), description="Union news")
        result = run_once(fetch_article_config(tmp_path, server))
        fetched = [r.path for r in server.requests]
    assert "/robots.txt" in fetched and "/a/open" in fetched
    assert "/members/closed" not in fetched
    alerts = [line for line in result.stdout.splitlines() if line.startswith("ALERT")]
    assert alerts == [f"ALERT [strikes] Open report | outlet | {server.url('/a/open')} | strike"]


def test_a_source_failing_pause_after_times_is_paused_and_admins_are_told(tmp_path):
    with FixtureServer() as server, FakeBotApi() as api:
        config = tmp_path / "config.yaml"
        config.write_text(f"""
telegram:
  base_url: {api.base_url}
  admins: [{ADMIN}]
fetch:
  pause_after: 2
sources:
  - id: flaky
    name: Flaky <Outlet>
    feed: {server.url("/status/503")}
    interval: 1s
    allow_private: true
topics:
  - id: strikes
    any: [strike]
""", encoding="utf-8")
        run_once(config, TOKEN)
        assert api.messages_to(ADMIN) == []
        second = run_once(config, TOKEN)
        third = run_once(config, TOKEN)
        [notice] = api.messages_to(ADMIN)
        polls = server.hits("/status/503")
    assert "paused" in second.stderr
    assert "Flaky &lt;Outlet&gt;" in notice["text"] and "HTTP 503" in notice["text"]
    assert "dozor resume flaky" in notice["text"]
    assert polls == 2 and "polled 0 sources" in third.stderr  # paused: not polled again
