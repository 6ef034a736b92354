"""`dozor parse FILE_OR_URL`: fixture files, a loopback server, and every way of failing in one line."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from monitor import cli_parse
from monitor.cli import app
from tests.support.fixture_server import FixtureServer

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
RUSSIAN_TITLES = ["Нефтяники в Жанаозене объявили забастовку", "Суд оштрафовал журналиста за репост",
                  "Митинг в Алматы прошёл без задержаний"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # A folder with no config.yaml and no $DOZOR_CONFIG: `dozor parse` needs neither.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOZOR_CONFIG", raising=False)
    return CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


def dozor(runner: CliRunner, *args: str):
    result = runner.invoke(app, ["parse", *args], env={"COLUMNS": "250"})
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


# ----------------------------------------------------------------- files


@pytest.mark.parametrize(
    ("path", "titles"),
    [
        pytest.param("russian/cp1251_undeclared.rss", RUSSIAN_TITLES, id="windows-1251, declared nowhere"),
        pytest.param("russian/koi8r_declared.rss", RUSSIAN_TITLES, id="KOI8-R, XML declaration"),
        pytest.param("feedparser/json/example.json", ["post 2", "Hello, world!"], id="JSON Feed by extension"),
    ],
)
def test_a_feed_file_prints_its_items_as_json_lines(runner, path, titles):
    result = dozor(runner, str(FEEDS / path), "--json")
    assert result.exit_code == 0, result.output
    items = json_lines(result.stdout)
    assert [item["title"] for item in items] == titles
    assert set(items[0]) == {"url", "guid", "title", "summary", "published_at", "language"}


def test_json_lines_carry_normalised_values(runner):
    first = json_lines(dozor(runner, str(FEEDS / "npr_jsonfeed.json"), "--json").stdout)[0]
    assert first == {
        "url": "https://www.npr.org/2021/10/29/1050315385/keller-rinaudo-how-can-delivery-drones-save-lives",
        "guid": "1050315385",
        "title": "Keller Rinaudo: How can delivery drones save lives?",
        "summary": first["summary"],
        "published_at": "2021-10-29T14:26:00+00:00",
        "language": "en",
    }
    assert first["summary"].startswith("In rural areas")


def test_the_table_shows_feed_details_and_each_item(runner):
    result = dozor(runner, str(FEEDS / "russian" / "cp1251_undeclared.rss"))
    assert result.exit_code == 0
    assert "Новости рабочего движения (rss20, cp1251, 3 items)" in result.stdout
    for expected in ("2026-11-26 03:00", " ru ", RUSSIAN_TITLES[0], "https://example.kz/news/101"):
        assert expected in result.stdout


def test_titles_are_not_read_as_rich_markup(runner, tmp_path):
    feed = tmp_path / "markup.xml"
    feed.write_text('<rss version="2.0"><channel><title>T</title><item><title>[bold]Strike[/bold] [link]</title>'
                    "<link>https://e.kz/1</link></item></channel></rss>")
    assert "[bold]Strike[/bold] [link]" in dozor(runner, str(feed)).stdout


def test_a_valid_empty_feed_is_success_with_no_items(runner, tmp_path):
    feed = tmp_path / "empty.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert dozor(runner, str(feed), "--json").exit_code == 0
    table = dozor(runner, str(feed))
    assert table.exit_code == 0 and "Quiet (rss20, utf-8, 0 items)" in table.stdout


def test_a_config_option_is_accepted_but_not_needed(runner):
    result = dozor(runner, str(FEEDS / "npr_jsonfeed.json"), "--json", "--config", "absent.yaml")
    assert result.exit_code == 0 and len(json_lines(result.stdout)) == 25


# ----------------------------------------------------------------- URLs


def test_a_url_is_fetched_and_parsed_with_its_headers(runner, server):
    # The charset is only in the HTTP header: parsing must get the response headers.
    url = server.serve_file("/ru.rss", FEEDS / "russian" / "cp1251_undeclared.rss",
                            content_type="application/rss+xml; charset=windows-1251")
    result = dozor(runner, url, "--json")
    assert result.exit_code == 0, result.output
    assert [item["title"] for item in json_lines(result.stdout)] == RUSSIAN_TITLES


def test_a_json_feed_url_is_read_by_its_content_type(runner, server):
    body = json.dumps({"items": [{"id": "1", "url": "/a/1", "title": "Strike at the plant"}]}).encode()
    url = server.serve_bytes("/feed.json", body, content_type="application/feed+json")
    items = json_lines(dozor(runner, url, "--json").stdout)
    assert items[0]["url"] == server.url("/a/1")  # relative to the feed's URL


def test_redirects_are_followed_and_links_resolve_against_the_final_url(runner, server):
    server.serve_bytes("/moved/rss", b'<rss version="2.0"><channel><title>T</title><item><title>x</title>'
                                     b"<link>1</link></item></channel></rss>")
    result = dozor(runner, server.url("/redirect?to=" + quote(server.url("/moved/rss"))), "--json")
    assert result.exit_code == 0, result.output
    assert json_lines(result.stdout)[0]["url"] == server.url("/moved/1")


# ----------------------------------------------------------------- nothing could be read: exit 1


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/rss"


def _redirect_chain(server: FixtureServer, hops: int) -> str:
    url = server.url("/moved/rss")
    for _ in range(hops):
        url = server.url("/redirect?to=" + quote(url, safe=""))
    return url


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(lambda s, tmp: str(tmp / "missing.xml"), "no such file", id="missing file"),
        pytest.param(lambda s, tmp: str(tmp), "cannot read it", id="a directory"),
        pytest.param(lambda s, tmp: str(FEEDS / "feedparser_index.tsv"), "not an RSS, Atom or JSON feed",
                     id="a file that is no feed"),
        pytest.param(lambda s, tmp: s.url("/status/404"), "HTTP 404", id="404"),
        pytest.param(lambda s, tmp: s.url("/status/500"), "HTTP 500", id="500"),
        pytest.param(lambda s, tmp: s.serve_bytes("/garbage", b"\x00\x01\xfe garbage <<<",
                                                  content_type="application/octet-stream"),
                     "not an RSS, Atom or JSON feed", id="garbage bytes"),
        pytest.param(lambda s, tmp: s.serve_bytes("/page", b"<!doctype html><html><body>News</body></html>",
                                                  content_type="text/html"),
                     "an HTML page, not a feed", id="an HTML page"),
        pytest.param(lambda s, tmp: s.serve_bytes("/empty", b""), "empty", id="empty response"),
        pytest.param(lambda s, tmp: _redirect_chain(s, 6), "more than 5 redirects", id="too many redirects"),
        pytest.param(lambda s, tmp: s.url("/huge?mb=16"), "larger than 15 MB", id="oversized body"),
        pytest.param(lambda s, tmp: _closed_port_url(), "cannot fetch it", id="connection refused"),
    ],
)
def test_nothing_readable_exits_1_with_one_line(runner, server, tmp_path, source, reason):
    result = dozor(runner, source(server, tmp_path), "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_five_redirects_are_still_followed(runner, server):
    server.serve_bytes("/moved/rss", b'<rss version="2.0"><channel><title>T</title></channel></rss>')
    assert dozor(runner, _redirect_chain(server, 5), "--json").exit_code == 0


def test_a_server_that_never_answers_times_out(runner, server, monkeypatch):
    monkeypatch.setattr(cli_parse, "TIMEOUT_SECONDS", 0.3)  # the real 20 s would slow the suite down
    result = dozor(runner, server.url("/slow?seconds=5"))
    assert result.exit_code == 1 and "no answer within 0.3 s" in result.stderr
