"""Backtests: hits per day, samples, and the hits an edit adds and removes, on real matchers and stores."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.backtest import StoredArticle, article_text, count_articles, days, run_backtest, stored_articles
from monitor.cli import app
from monitor.cli_match import sparkline
from monitor.config import SourceConfig, TopicConfig
from monitor.match import Matcher
from monitor.parse import FeedItem
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.sources import sync_sources

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
STRIKES = TopicConfig(id="strikes", any=["забастовка", "walkout"])
EDITED = TopicConfig(id="strikes", any=["забастовка", "стачка"])  # "walkout" out, "стачка" in


def article(n: int, title: str, text: str = "", days_ago: float = 0, source: str = "a") -> StoredArticle:
    return StoredArticle(n, source, f"https://example.org/{n}", title, text, NOW - timedelta(days=days_ago))


ARTICLES = [
    article(1, "Забастовка нефтяников", "Рабочие требуют повышения зарплаты."),
    article(2, "Стачка шахтёров в Караганде"),
    article(3, "Walkout at the copper plant"),
    article(4, "Погода"),
]


# ---- run_backtest, pure ----


def test_an_edit_adds_the_hits_of_the_new_term_and_removes_those_of_the_dropped_one():
    result = run_backtest(ARTICLES, Matcher([EDITED]), Matcher([STRIKES]))
    topic = result.topics["strikes"]
    assert (result.articles, topic.hits, topic.baseline_hits) == (4, 2, 2)
    assert (topic.added, topic.removed) == (1, 1)
    assert [(s.article_id, s.found) for s in topic.added_samples] == [(2, (("стачка", "Стачка"),))]
    assert [(s.article_id, s.found) for s in topic.removed_samples] == [(3, (("walkout", "Walkout"),))]


def test_identical_rules_add_and_remove_nothing():
    topic = run_backtest(ARTICLES, Matcher([STRIKES]), Matcher([STRIKES])).topics["strikes"]
    assert (topic.hits, topic.added, topic.removed, topic.added_samples, topic.removed_samples) == (2, 0, 0, [], [])


def test_a_new_topic_is_all_added_and_a_dropped_topic_all_removed():
    gas = TopicConfig(id="gas", any=["газ"])
    texts = [article(1, "Цены на газ"), article(2, "Забастовка"), article(3, "Газпром")]
    result = run_backtest(texts, Matcher([gas]), Matcher([STRIKES]), topic_ids=["gas", "strikes"])
    assert [(t.topic_id, t.hits, t.added, t.removed) for t in result.topics.values()] == [
        ("gas", 1, 1, 0), ("strikes", 0, 0, 1)]


def test_without_a_baseline_nothing_counts_as_added_or_removed():
    result = run_backtest(ARTICLES, Matcher([STRIKES]))
    topic = result.topics["strikes"]
    assert not result.compared
    assert (topic.hits, topic.added, topic.removed) == (2, 0, 0)
    assert [s.article_id for s in topic.samples] == [1, 3]


def test_hits_are_counted_per_utc_day_of_fetching():
    texts = [article(1, "Забастовка", days_ago=0), article(2, "забастовка", days_ago=0.25),
             article(3, "Забастовка", days_ago=2), article(4, "Погода", days_ago=1)]
    topic = run_backtest(texts, Matcher([STRIKES])).topics["strikes"]
    assert dict(topic.per_day) == {date(2026, 11, 27): 2, date(2026, 11, 25): 1}


def test_samples_are_capped_and_are_the_first_articles_given():
    texts = [article(n, "Забастовка") for n in range(10, 0, -1)]
    topic = run_backtest(texts, Matcher([STRIKES]), samples=3).topics["strikes"]
    assert (topic.hits, [s.article_id for s in topic.samples]) == (10, [10, 9, 8])


def test_topics_asked_for_are_reported_even_when_they_never_fire():
    result = run_backtest([article(1, "Погода")], Matcher([STRIKES]), topic_ids=["strikes"])
    assert [(t.topic_id, t.hits) for t in result.topics.values()] == [("strikes", 0)]


def test_days_and_sparkline():
    assert days(NOW - timedelta(days=2), NOW) == [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]
    assert sparkline([0, 1, 4, 8]) == "·▁▄█"
    assert sparkline([1] * 120, width=60) == "█" * 60


# ---- the store ----


def add_articles(store: Store, fetched: datetime, *items: tuple[str, str, str | None]) -> None:
    """Store (title, summary, page text) items as fetched at `fetched`, from source "a"."""
    with store.session() as session:
        sync_sources(session, [SourceConfig(id="a", feed="https://a.example/feed")], fetched)
        batch = [MatchedItem(FeedItem(url=f"https://a.example/{title}", guid=None, title=title, summary=summary,
                                      published_at=fetched), [], text=text) for title, summary, text in items]
        store_items(session, "a", batch, fetched)


def test_stored_articles_stream_the_window_newest_first_in_batches(store):
    for n in range(5):
        add_articles(store, NOW - timedelta(days=n), (f"t{n}", "", None))
    add_articles(store, NOW - timedelta(days=40), ("old", "", None))
    since = NOW - timedelta(days=30)
    read = list(stored_articles(store, since, batch=2))
    assert [a.title for a in read] == ["t0", "t1", "t2", "t3", "t4"]
    assert count_articles(store, since) == 5
    assert read[0].fetched_at == NOW and read[0].source_id == "a"


def test_a_batch_boundary_among_articles_fetched_together_loses_and_repeats_nothing(store):
    add_articles(store, NOW, *[(f"t{n}", "", None) for n in range(5)])
    read = [a.title for a in stored_articles(store, NOW - timedelta(days=1), batch=2)]
    assert sorted(read) == ["t0", "t1", "t2", "t3", "t4"]


def test_the_text_field_is_the_summary_then_the_page_text(store):
    add_articles(store, NOW, ("with page", "Summary.", "Page text."), ("feed only", "Summary.", None))
    texts = {a.title: a.text for a in stored_articles(store, NOW - timedelta(days=1))}
    assert texts == {"with page": "Summary.\nPage text.", "feed only": "Summary."}
    assert article_text(None, None) == ""


# ---- dozor backtest ----

LIVE = """\
storage:
  url: sqlite:///data/dozor.db
topics:
  - id: strikes
    any: [забастовка, walkout]
  - id: gas
    any: [газ]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder like an operator's: config.yaml, its database with articles from the last days."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOZOR_CONFIG", raising=False)
    monkeypatch.delenv("DOZOR_DATABASE_URL", raising=False)
    (tmp_path / "config.yaml").write_text(LIVE, encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'data' / 'dozor.db'}")
    store.upgrade()
    now = datetime.now(timezone.utc)
    add_articles(store, now, ("Забастовка нефтяников", "", None), ("Стачка шахтёров", "", None))
    add_articles(store, now - timedelta(days=1), ("Walkout at the plant", "", None),
                 ("Цены на газ", "Газ подорожал.", None))
    add_articles(store, now - timedelta(days=10), ("Стачка в порту", "", None))
    store.close()
    return tmp_path


def edited(folder: Path, strikes_terms: str) -> Path:
    path = folder / "config.new.yaml"
    path.write_text(LIVE.replace("[забастовка, walkout]", strikes_terms), encoding="utf-8")
    return path


def backtest(*args: str):
    result = CliRunner().invoke(app, ["backtest", *args], env={"COLUMNS": "200"})
    assert "Traceback" not in result.output, result.output
    return result


def test_an_edited_copy_is_compared_with_the_live_config(site):
    path = edited(site, "[забастовка, стачка]")
    result = backtest("--config", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["articles"], summary["config"], summary["against"]) == (5, str(path), "config.yaml")
    strikes, gas = summary["topics"]
    assert (strikes["id"], strikes["hits"], strikes["current_hits"], strikes["added"], strikes["removed"]) == (
        "strikes", 3, 2, 2, 1)
    assert [s["title"] for s in strikes["added_samples"]] == ["Стачка шахтёров", "Стачка в порту"]
    assert [s["title"] for s in strikes["removed_samples"]] == ["Walkout at the plant"]
    assert strikes["added_samples"][0]["found"] == [{"term": "стачка", "found": "Стачка"}]
    assert (gas["hits"], gas["added"], gas["removed"]) == (1, 0, 0)
    today = datetime.now(timezone.utc).date()
    assert (strikes["per_day"][today.isoformat()], strikes["current_per_day"][today.isoformat()]) == (2, 1)
    assert sum(strikes["per_day"].values()) == 3 and len(strikes["per_day"]) == 31


def test_since_limits_the_window(site):
    result = backtest("--config", str(edited(site, "[забастовка, стачка]")), "--since", "2d", "--json")
    strikes = json.loads(result.stdout)["topics"][0]
    assert (strikes["hits"], strikes["added"], strikes["removed"]) == (2, 1, 1)
    assert len(strikes["per_day"]) == 3


def test_a_copy_kept_in_another_folder_still_reads_the_service_database(site):
    elsewhere = site / "drafts"
    elsewhere.mkdir()
    path = edited(elsewhere, "[забастовка, стачка]")
    summary = json.loads(backtest("--config", str(path), "--json").stdout)
    assert summary["articles"] == 5
    assert not (elsewhere / "data").exists()


def test_without_another_config_the_live_rules_are_shown_alone(site):
    summary = json.loads(backtest("--json").stdout)
    assert summary["against"] is None
    assert [(t["id"], t["hits"]) for t in summary["topics"]] == [("strikes", 2), ("gas", 1)]
    assert "added" not in summary["topics"][0]


def test_against_names_the_baseline_explicitly(site):
    other = site / "old.yaml"
    other.write_text(LIVE.replace("[забастовка, walkout]", "[walkout]"), encoding="utf-8")
    summary = json.loads(backtest("--against", str(other), "--topic", "strikes", "--json").stdout)
    assert [(t["id"], t["added"], t["removed"]) for t in summary["topics"]] == [("strikes", 1, 0)]


def test_the_table_shows_counts_and_the_added_and_removed_samples(site):
    result = backtest("--config", str(edited(site, "[забастовка, стачка]")), "--topic", "strikes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "5 articles fetched" in out and "compared with config.yaml" in out
    assert "strikes: +2 hits the change adds" in out and "Стачка шахтёров" in out
    assert "strikes: −1 hits the change removes" in out and "Walkout at the plant" in out
    assert "strikes: hits per day (UTC)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--topic", "nope"], "no topic 'nope'", id="unknown topic"),
        pytest.param(["--since", "soon"], "expected a duration", id="bad --since"),
        pytest.param(["--against", "missing.yaml"], "missing.yaml: no such config file", id="missing --against"),
    ],
)
def test_bad_arguments_exit_2_and_say_why(site, args, message):
    result = backtest(*args)
    assert result.exit_code == 2
    assert message in result.stderr
