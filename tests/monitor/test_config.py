"""The config file: what is accepted, and errors that name the file, line and key path."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from textwrap import dedent

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import (
    ConfigError,
    Environment,
    database_url,
    format_duration,
    load_config,
    parse_duration,
    resolve_config_path,
)

SHIPPED = Path(__file__).parents[2] / "config.yaml"

VALID = """\
storage:
  url: sqlite:///data/dozor.db
telegram:
  base_url: http://127.0.0.1:9/bot
  admins: [123456789]
sources:
  - id: azattyq-ru
    name: Azattyq (Russian service)
    feed: https://rus.azattyq.org/api/
    interval: 10m
topics:
  - id: strikes
    title: Strikes and walkouts
    any: [strike, забастовка, ереуіл]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value.errors


def test_a_valid_config_loads_with_its_meanings(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert config.sources[0].interval == timedelta(minutes=10)
    assert config.telegram.admins == [123456789]
    assert config.topic("strikes").any == ["strike", "забастовка", "ереуіл"]


def test_the_shipped_config_is_valid():
    config = load_config(SHIPPED)
    assert config.sources and config.topics


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("topics:\n  - id: strikes\n    any: strike\n",
         "config.yaml:3 topics[0].any: expected a list of terms"),
        ("topics:\n  - id: strikes\n    any: []\n",
         "config.yaml:3 topics[0].any: expected at least one term"),
        ("sources:\n  - id: a\n    feed: https://x.org/f\n    interval: soon\n",
         "config.yaml:4 sources[0].interval: expected a duration such as 30s, 10m, 1h, got 'soon'"),
        ("sources:\n  - id: a\n    feed: ftp://x.org/f\n",
         "config.yaml:3 sources[0].feed: expected an http(s) feed URL"),
        ("sources:\n  - id: a\n",
         "config.yaml:2 sources[0]: give exactly one of feed, listing, sitemap or spider"),
        ("sources:\n  - id: a\n    feed: https://x.org/f\n    sitemap: https://x.org/s.xml\n",
         "config.yaml:2 sources[0]: give exactly one of feed, listing, sitemap or spider "
         "(found feed and sitemap)"),
        ("sources:\n  - id: a\n    sitemap: x.org/s.xml\n",
         "config.yaml:3 sources[0].sitemap: expected an http(s) sitemap URL"),
        ("sources:\n  - id: a\n    spider: example_outlett\n",
         "config.yaml:3 sources[0].spider: no spider named 'example_outlett' in monitor/spiders/ "
         "(did you mean 'example_outlet'?); known: example_outlet"),
        ("sources:\n  - id: a\n    sitemap: https://x.org/s.xml\n    fetch_article: true\n",
         "config.yaml:2 sources[0]: fetch_article is for feeds; crawled sources always fetch their articles"),
        ("sources:\n  - id: a\n    feed: https://x.org/f\n    article:\n      title: h1\n",
         "config.yaml:2 sources[0]: article selectors are for listing, sitemap and spider sources; "
         "a feed uses fetch_article"),
        ("sources:\n  - id: a\n    listing:\n      start_urls: [https://x.org/]\n"
         "      links: a..b\n",
         "config.yaml:5 sources[0].listing.links: invalid CSS selector 'a..b': Expected ident, "
         "got <DELIM '.' at 2>"),
        ("sources:\n  - id: a\n    listing:\n      start_urls: [https://x.org/]\n      links: a\n"
         "    article:\n      text: //div[\n",
         "config.yaml:7 sources[0].article.text: invalid XPath '//div[': Invalid expression"),
        ("sources:\n  - id: a\n    listing:\n      start_urls: [https://x.org/]\n      links: a\n"
         "      next_page: {xpath: '//a[@rel=next'}\n",
         "config.yaml:6 sources[0].listing.next_page: invalid XPath '//a[@rel=next': Invalid predicate"),
        ("sources:\n  - id: a\n    listing:\n      links: a\n",
         "config.yaml:3 sources[0].listing.start_urls: required key is missing"),
        ("sources:\n  - id: Bad Id\n    feed: https://x.org/f\n",
         "config.yaml:2 sources[0].id: expected an id of lowercase letters, digits, '-' and '_'"),
        ("telegram:\n  admins: [me]\n",
         "config.yaml:2 telegram.admins[0]: expected a whole number"),
        ("storage:\n  url: mysql://x/y\n",
         "config.yaml:2 storage.url: expected a sqlite:/// or postgresql+psycopg:// URL"),
    ],
)
def test_errors_name_line_key_and_expectation(tmp_path, snippet, expected):
    assert errors_of(tmp_path, snippet) == [expected]


def test_each_source_kind_loads_with_its_url_and_selectors(tmp_path):
    config = load_config(write(tmp_path, """\
        sources:
          - id: news
            listing:
              start_urls: [https://example.kz/news]
              links: "a.news-item__title::attr(href)"
              next_page: {xpath: "//a[@rel='next']/@href"}
            article:
              text: div.article-body
          - id: map
            sitemap: https://example.kz/sitemap-news.xml
          - id: court
            spider: example_outlet
        """))
    news, sitemap, court = config.sources
    assert [s.kind for s in config.sources] == ["listing", "sitemap", "spider"]
    assert [s.url for s in config.sources] == [
        "https://example.kz/news", "https://example.kz/sitemap-news.xml", "spider:example_outlet"]
    assert news.listing.max_pages == 1 and str(news.listing.links) == "a.news-item__title::attr(href)"
    assert news.listing.next_page.kind == "xpath" and news.article.text.kind == "css"
    assert all(s.crawled for s in config.sources)


def test_an_unknown_key_suggests_the_closest_one(tmp_path):
    [error] = errors_of(tmp_path, "sources:\n  - id: a\n    feed: https://x.org/f\n    intervall: 1m\n")
    assert error.startswith("config.yaml:4 sources[0].intervall: unknown key (did you mean 'interval'?)")


def test_duplicate_ids_point_at_the_second_one(tmp_path):
    text = "topics:\n  - id: a\n    any: [x]\n  - id: a\n    any: [y]\n"
    assert errors_of(tmp_path, text) == ["config.yaml:4 topics[1].id: duplicate id 'a'; ids must be unique"]


def test_yaml_syntax_errors_name_the_line(tmp_path):
    [error] = errors_of(tmp_path, "topics:\n  - id: a\n    any: [x\n")
    assert error.startswith("config.yaml:") and "YAML syntax error" in error


def test_a_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError, match="DOZOR_CONFIG"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("text", "seconds"), [("2s", 2), ("10m", 600), ("1h30m", 5400), ("1d", 86400), (45, 45)])
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)
    assert parse_duration(format_duration(timedelta(seconds=seconds))) == timedelta(seconds=seconds)


def test_config_path_order(tmp_path):
    explicit, from_env = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert resolve_config_path(explicit, Environment(config=from_env)) == explicit
    assert resolve_config_path(None, Environment(config=from_env)) == from_env
    assert resolve_config_path(None, Environment(config=None)) == Path("config.yaml")


def test_relative_sqlite_paths_resolve_against_the_config_folder(tmp_path):
    path = write(tmp_path, VALID)
    config = load_config(path)
    url = database_url(config, path, Environment(database_url=None))
    assert url == f"sqlite:///{tmp_path.resolve() / 'data' / 'dozor.db'}"
    override = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert database_url(config, path, Environment(database_url=override)) == override


def test_check_config_exits_0_when_valid_and_2_with_the_error(tmp_path):
    runner = CliRunner()
    good = runner.invoke(app, ["check-config", "--config", str(write(tmp_path, VALID))])
    assert good.exit_code == 0, good.output
    bad_path = tmp_path / "bad" / "config.yaml"
    bad_path.parent.mkdir()
    bad_path.write_text("topics:\n  - id: a\n    any: x\n", encoding="utf-8")
    bad = runner.invoke(app, ["check-config", "--config", str(bad_path)])
    assert bad.exit_code == 2
    assert "config.yaml:3 topics[0].any: expected a list of terms" in bad.output
    assert "Traceback" not in bad.output


def test_check_config_reads_dozor_config_from_the_environment(tmp_path):
    path = write(tmp_path, VALID)
    result = CliRunner().invoke(app, ["check-config"], env={"DOZOR_CONFIG": str(path)})
    assert result.exit_code == 0 and str(path) in result.output


def test_an_invalid_term_is_a_config_error_with_its_line(tmp_path):
    text = "topics:\n  - id: a\n    any:\n      - strike\n      - strike NEAR/x Aktau\n"
    [error] = errors_of(tmp_path, text)
    assert error.startswith("config.yaml:5 topics[0].any[1]: invalid term 'strike NEAR/x Aktau': NEAR needs")


def test_all_not_fields_and_priority_are_read(tmp_path):
    text = ("topics:\n  - id: a\n    any: [arrest]\n    all: [[activist, journalist]]\n"
            "    not: [drill]\n    fields: [title]\n    priority: urgent\n")
    topic = load_config(write(tmp_path, text)).topics[0]
    assert (topic.all, topic.not_, topic.fields, topic.priority) == (
        [["activist", "journalist"]], ["drill"], ["title"], "urgent")


def test_a_user_agent_without_contact_loads_with_a_warning(tmp_path):
    """Configs written before the contact check keep loading (a stable interface)."""
    path = tmp_path / "config.yaml"
    path.write_text("fetch:\n  user_agent: Dozor\n")
    config = load_config(path)
    assert config.fetch.user_agent == "Dozor"
    assert [w for w in config.warnings() if "fetch.user_agent has no contact" in w]
    path.write_text("fetch:\n  user_agent: Dozor/1 (+mailto ops@example.org)\n")
    assert load_config(path).warnings() == []
