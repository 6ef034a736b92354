"""Sites without feeds through the real service (`dozor run --once`), against the loopback fixture
site in tests/fixtures/site (its README lists the pages and what each one must do): a listing
page with pagination and article selectors, a news sitemap, and the hand-written example spider.
"""

from __future__ import annotations

import json
import mimetypes
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.store.db import Store
from monitor.store.events import SOURCE_BACK
from monitor.store.models import Article, OperatorEvent
from monitor.store.events import SOURCE_BROKEN
from tests.support.fixture_server import FixtureServer
from tests.support.service import run_once

REPO = Path(__file__).parents[1]
SITE = Path(__file__).parent / "fixtures" / "site"

LISTING = """
  - id: outlet-news
    name: Fixture Outlet (news list)
    listing:
      start_urls: [{base}/news/index.html]
      links: "a.news-item__title::attr(href)"
      next_page: "a.pager-next::attr(href)"
      max_pages: 2
    article:
      title: "h1::text"
      text: "div.article-body"
      published: "time::attr(datetime)"
    interval: 1s
    allow_private: true
"""
SITEMAP = """
  - id: outlet-sitemap
    sitemap: {base}/sitemap-news.xml
    allow_private: true
"""
SPIDER = """
  - id: outlet-court
    spider: example_outlet
    start_urls: [{base}/court/index.html]
    allow_private: true
"""


def serve_site(server: FixtureServer) -> str:
    """Every file of the fixture site at its path, `{base}` filled in; returns the base URL."""
    base = server.base_url.rstrip("/")
    for file in SITE.rglob("*"):
        if file.is_file() and file.name != "README.md":
            body = file.read_bytes().replace(b"{base}", base.encode())
            kind = mimetypes.guess_type(file.name)[0] or "text/plain"
            server.serve_bytes("/" + file.relative_to(SITE).as_posix(), body, f"{kind}; charset=utf-8")
    return base


def write_config(tmp_path: Path, base: str, sources: str, fetch: str = "") -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"""
storage:
  url: sqlite:///{tmp_path / "dozor.db"}
fetch:
  crawl_delay: 0s
{fetch}
sources:
{sources.format(base=base)}
topics:
  - id: strikes
    any: [strike, забастовка]
""", encoding="utf-8")
    return path


def alerts(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("ALERT")]


@dataclass(frozen=True)
class TwoPolls:
    base: str
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    paths: list[str]  # every path requested, in order, over both polls
    paths_in_second: list[str]
    articles: dict[str, tuple[str, str]]  # url → (source, title)


@pytest.fixture(scope="module")
def two_polls(tmp_path_factory: pytest.TempPathFactory) -> TwoPolls:
    tmp_path = tmp_path_factory.mktemp("crawl")
    with FixtureServer() as server:
        base = serve_site(server)
        config = write_config(tmp_path, base, LISTING + SITEMAP + SPIDER)
        first = run_once(config)
        after_first = len(server.requests)
        second = run_once(config)
        paths = [request.path for request in server.requests]
    store = Store(f"sqlite:///{tmp_path / 'dozor.db'}")
    with store.session() as session:
        articles = {a.canonical_url: (a.source_id, a.title) for a in session.scalars(select(Article))}
    store.close()
    return TwoPolls(base, first, second, paths, paths[after_first:], articles)


def test_each_source_kind_stores_its_articles(two_polls):
    base = two_polls.base
    assert two_polls.articles == {
        f"{base}/articles/strike.html": ("outlet-news", "Workers at the Aktau plant walk out"),
        f"{base}/articles/budget-caption.html": ("outlet-news", "Regional budget passes second reading"),
        f"{base}/articles/roads.html": ("outlet-news", "Road repairs to finish by spring"),  # page 2
        # The sitemap's news:title wins over the page's own headline.
        f"{base}/sitemap/miners.html": ("outlet-sitemap", "Miners in Karaganda stop work"),
        f"{base}/sitemap/council.html": ("outlet-sitemap", "Council approves new bus routes"),
        f"{base}/court/decision-1.html": ("outlet-court", "Суд признал забастовку на заводе законной"),
        f"{base}/court/decision-2.html": ("outlet-court", "Суд отклонил иск о сносе рынка"),
    }


def test_only_the_article_text_raises_alerts_not_captions_or_sidebars(two_polls):
    base = two_polls.base
    assert sorted(alerts(two_polls.first.stdout)) == sorted([
        f"ALERT [strikes] Workers at the Aktau plant walk out | outlet-news | {base}/articles/strike.html | strike",
        f"ALERT [strikes] Miners in Karaganda stop work | outlet-sitemap | {base}/sitemap/miners.html | strike",
        f"ALERT [strikes] Суд признал забастовку на заводе законной | outlet-court | "
        f"{base}/court/decision-1.html | забастовка",
    ])
    assert alerts(two_polls.second.stdout) == []


def test_robots_txt_is_obeyed_the_disallowed_path_is_never_fetched(two_polls):
    assert "/robots.txt" in two_polls.paths
    assert [path for path in two_polls.paths if path.startswith("/private/")] == []


def test_a_second_poll_fetches_no_article_page_again(two_polls):
    pages = [path for path in two_polls.paths
             if path.startswith(("/articles/", "/sitemap/", "/court/decision"))]
    assert len(pages) == len(set(pages)) == 7
    assert [path for path in two_polls.paths_in_second if path in pages] == []
    # The index pages are read every poll: that is how new articles are found.
    assert {"/news/index.html", "/sitemap-news.xml", "/court/index.html"} <= set(two_polls.paths_in_second)


def test_a_listing_whose_markup_changed_is_marked_broken_and_admins_are_told_once(tmp_path):
    with FixtureServer() as server:
        base = serve_site(server)
        config = write_config(tmp_path, base, LISTING, fetch="  broken_after: 2")
        run_once(config)
        server.serve_file("/news/index.html", SITE / "news" / "broken.html", "text/html; charset=utf-8")
        run_once(config)  # one empty poll: could be a blip
        assert events(tmp_path) == []
        broken = run_once(config)
        run_once(config)
        [event] = events(tmp_path)
        status = sources_json(config)["outlet-news"]
        server.serve_file("/news/index.html", SITE / "news" / "index.html", "text/html; charset=utf-8")
        run_once(config)
        after_fix = sources_json(config)["outlet-news"]
        kinds = [kind for kind, _ in events(tmp_path)]
    assert "no article links" in broken.stderr
    assert event[0] == SOURCE_BROKEN
    assert "outlet-news" in event[1] and "no article links" in event[1]
    assert "dozor crawl outlet-news --dry-run" in event[1]
    assert status["status"].startswith("BROKEN: its pages list no article links")
    assert status["failures"] == 0  # the site answered: rot is not a fetch failure
    assert kinds == [SOURCE_BROKEN, SOURCE_BACK]
    assert after_fix["status"] == "ok" and after_fix["broken_since"] is None


def events(tmp_path: Path) -> list[tuple[str, str]]:
    store = Store(f"sqlite:///{tmp_path / 'dozor.db'}")
    with store.session() as session:
        found = [(e.kind, e.message) for e in session.scalars(select(OperatorEvent).order_by(OperatorEvent.id))]
    store.close()
    return found


def sources_json(config: Path) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(app, ["sources", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    return {row["id"]: row for row in rows}


def test_dozor_crawl_dry_run_prints_links_titles_and_text_and_stores_nothing(tmp_path):
    with FixtureServer() as server:
        base = serve_site(server)
        config = write_config(tmp_path, base, LISTING)
        result = subprocess.run([sys.executable, "-m", "monitor", "crawl", "outlet-news", "--dry-run",
                                 "--config", str(config)],
                                capture_output=True, text=True, timeout=60, env=_clean_env())
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "2 index pages read, 4 article links, 4 new" in out
    assert f"+ {base}/articles/budget-caption.html" in out  # ../ and utm_source resolved away
    assert "  Workers at the Aktau plant walk out" in out
    assert "  | More than four hundred workers" in out
    assert f"{base}/private/leak.html is disallowed by the site's robots.txt" in result.stderr
    assert "nothing stored (--dry-run)" in out
    assert not (tmp_path / "dozor.db").exists()


def test_a_crawled_source_without_allow_private_is_refused_loopback_like_a_feed(tmp_path):
    with FixtureServer() as server:
        base = serve_site(server)
        config = write_config(tmp_path, base, LISTING.replace("allow_private: true", "allow_private: false"))
        result = subprocess.run([sys.executable, "-m", "monitor", "crawl", "outlet-news", "--dry-run",
                                 "--config", str(config)],
                                capture_output=True, text=True, timeout=60, env=_clean_env())
        requested = server.requests
    assert result.returncode == 1
    assert "a private address 127.0.0.1 refused (set allow_private: true" in result.stderr
    assert requested == []


def test_scrapy_list_and_scrapy_crawl_work_from_the_repo_root(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True,
                            text=True, timeout=60, env=_clean_env())
    assert listed.returncode == 0, listed.stderr
    assert {"listing", "sitemap", "example_outlet"} <= set(listed.stdout.split())
    with FixtureServer() as server:
        base = serve_site(server)
        config = write_config(tmp_path, base, SPIDER)
        out = tmp_path / "found.jsonl"
        crawl = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "example_outlet",
                                "-a", "source=outlet-court", "-O", str(out)],
                               cwd=REPO, capture_output=True, text=True, timeout=60,
                               env={**_clean_env(), "DOZOR_CONFIG": str(config)})
    assert crawl.returncode == 0, crawl.stderr
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(item["title"] for item in items) == ["Суд отклонил иск о сносе рынка",
                                                       "Суд признал забастовку на заводе законной"]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DOZOR_")}
