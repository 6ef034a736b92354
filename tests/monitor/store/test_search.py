"""/search and /latest in the store: word forms, AND across words, the 30-day window, ranking,
paging, hostile queries, the index kept by migration 0006, and the newest hits per article.

Every test runs on SQLite and, when DOZOR_TEST_POSTGRES_URL is set, PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update

from monitor.config import SourceConfig
from monitor.fold import _LETTERS as FOLD_TABLE
from monitor.fold import fold
from monitor.match import TopicMatch
from monitor.word_forms import default_forms
from monitor.parse import FeedItem
from monitor.store.articles import MatchedItem, store_items
from monitor.store.db import Store
from monitor.store.models import Article
from monitor.store.search import MAX_WORDS, SNIPPET_CHARS, latest_hits, query_words, search_articles
from monitor.store.sources import sync_sources
from tests.conftest import NO_POSTGRES, POSTGRES_URL, postgres_schema
from tests.support.builders import topic_match
from tests.support.migrations import migrate


@dataclass(frozen=True)
class Doc:
    """An article as a feed (and the page fetcher) would bring it; `age` before the test's now."""

    slug: str
    title: str
    summary: str = ""
    text: str | None = None
    age: timedelta = timedelta(days=1)
    source: str = "vlast"
    topics: tuple[str, ...] = ()


def url(slug: str) -> str:
    return f"https://example.org/{slug}"


def add_sources(store: Store, now: datetime) -> None:
    with store.session() as s:
        sync_sources(s, [SourceConfig(id="vlast", name="Vlast.kz", feed="https://vlast.kz/feed/"),
                         SourceConfig(id="bare", feed="https://bare.example/feed")], now)


def put(store: Store, now: datetime, *docs: Doc) -> None:
    """Store each document through store_items, as a poll `age` ago would have."""
    for doc in docs:
        item = FeedItem(url=url(doc.slug), guid=None, title=doc.title, summary=doc.summary,
                        published_at=now - doc.age)
        matches: list[TopicMatch] = [topic_match(topic, "term") for topic in doc.topics]
        with store.session() as s:
            store_items(s, doc.source, [MatchedItem(item, matches, doc.text)], now - doc.age)


def found(store: Store, query: str, now: datetime, **kwargs: int) -> list[str]:
    with store.session() as s:
        return [a.url.rsplit("/", 1)[1] for a in search_articles(s, query, now, **kwargs)]


CORPUS = (
    Doc("strike-ru", "Забастовки на месторождении", "Рабочие объявили забастовку в понедельник."),
    Doc("protests-en", "Oil workers' protests continue", "Workers protested in Zhanaozen for a third day."),
    Doc("aktau-kk", "Ақтауда жұмысшылар жиналды", "Жиналыс қала әкімдігінің алдында өтті."),
    Doc("strike-aktau", "Strike and arrests in Aktau", "Police detained three organisers."),
    Doc("strike-en", "Dockers strike in Rotterdam", "The port is closed."),
    Doc("yolka", "Новогодняя ЁЛКА на площади", "Ёлку поставили у акимата."),
    Doc("body-only", "Новости дня", "Коротко о главном.", text="В городе прошёл митинг против тарифов."),
    Doc("old", "Забастовка шахтёров", "Шахтёры бастуют.", age=timedelta(days=31)),
    Doc("weather", "Погода на выходные", "Ожидается снег."),
)

SEARCHES = [
    # scenario, query, the articles found (best first where the order is certain, else sorted)
    ("a Russian word finds its inflected forms", "забастовка", ["strike-ru"]),
    ("an English word finds its plural and past", "protest", ["protests-en"]),
    ("an English plural finds the singular", "strikes", ["strike-aktau", "strike-en"]),
    ("two words: both must occur", "strike Aktau", ["strike-aktau"]),
    ("a name finds its other scripts and Kazakh cases", "Актау", ["aktau-kk", "strike-aktau"]),
    ("Kazakh letters are not needed", "ақтауда", ["aktau-kk"]),
    ("ё is е, and case does not matter", "елка", ["yolka"]),
    ("the main text is searched", "митинг", ["body-only"]),
    ("articles older than the window are left out", "шахтёры", []),
    ("no article has every word", "забастовка protest", []),
]


@pytest.mark.parametrize(("query", "expected"), [case[1:] for case in SEARCHES],
                         ids=[case[0] for case in SEARCHES])
def test_search_finds_word_forms_within_the_window(store, now, query, expected):
    add_sources(store, now)
    put(store, now, *CORPUS)
    assert sorted(found(store, query, now)) == sorted(expected)


def test_a_search_leaves_no_dictionaries_loaded(store, now):
    add_sources(store, now)
    put(store, now, *CORPUS)
    assert found(store, "забастовка", now) == ["strike-ru"]
    assert not default_forms().dictionaries_loaded  # the bot process keeps only expanded words


def test_the_index_folds_every_character_monitor_fold_folds(store, now):
    # Migration 0006 copies monitor.fold's table into SQL: this fails when they drift apart.
    characters = [chr(code) for code in FOLD_TABLE]
    add_sources(store, now)
    put(store, now, *[Doc(f"char-{ord(c)}", f"жаз{c}бай") for c in characters])
    for c in characters:  # ё and Ё fold alike, and every apostrophe or hyphen splits the word
        query = fold(f"жаз{c}бай")
        alike = sorted(f"char-{ord(other)}" for other in characters
                       if query_words(fold(f"жаз{other}бай")) == query_words(query))
        assert sorted(found(store, query, now)) == alike, c


def test_the_window_counts_days_back_from_now(store, now):
    add_sources(store, now)
    put(store, now, Doc("29", "Забастовка 29", age=timedelta(days=29)),
        Doc("31", "Забастовка 31", age=timedelta(days=31)))
    assert found(store, "забастовка", now) == ["29"]
    assert sorted(found(store, "забастовка", now, days=40)) == ["29", "31"]


def test_a_match_in_the_title_ranks_above_one_in_the_body_and_ties_go_newest_first(store, now):
    add_sources(store, now)
    put(store, now,
        Doc("title", "Забастовка в порту", "Докеры требуют повышения зарплаты.", age=timedelta(days=3)),
        Doc("body-old", "Новости порта", "Докеры готовят забастовку.", age=timedelta(days=2)),
        Doc("body-new", "Новости порта", "Докеры готовят забастовку.", age=timedelta(days=1)),
        *[Doc(f"filler-{n}", f"Погода {n}", "Ожидается снег.") for n in range(4)])
    assert found(store, "забастовка", now) == ["title", "body-new", "body-old"]


def test_pages_follow_one_another_without_gaps_or_repeats(store, now):
    add_sources(store, now)
    put(store, now, *[Doc(f"rally-{n}", f"Митинг номер {n}", age=timedelta(hours=10 - n)) for n in range(7)])
    first, second = found(store, "митинг", now), found(store, "митинг", now, offset=5)
    assert first == [f"rally-{n}" for n in (6, 5, 4, 3, 2)]  # equal rank: newest first
    assert second == ["rally-1", "rally-0"]
    assert found(store, "митинг", now, offset=7) == []


def test_a_found_article_carries_its_source_dates_and_a_snippet_around_the_match(store, now):
    add_sources(store, now)
    long_text = ("Вступление. " * 40) + "На заводе началась забастовка рабочих. " + ("Продолжение. " * 40)
    put(store, now, Doc("long", "Новости завода", "Кратко о заводе.", text=long_text),
        Doc("title-only", "Забастовка", "Подробности позже.\nСледите за новостями.", source="bare"))
    with store.session() as s:
        by_url = {a.url: a for a in search_articles(s, "забастовка", now)}
    long, title_only = by_url[url("long")], by_url[url("title-only")]
    assert (long.title, long.source_name) == ("Новости завода", "Vlast.kz")
    assert long.published_at == long.fetched_at == now - timedelta(days=1)
    assert "началась забастовка рабочих" in long.snippet
    assert long.snippet.startswith("…") and long.snippet.endswith("…")
    assert len(long.snippet) <= SNIPPET_CHARS + 2
    assert title_only.source_name == "bare"  # a source with no name shows its id
    assert title_only.snippet == "Подробности позже. Следите за новостями."  # the summary's start


HOSTILE = [
    # query, the articles found: operators and punctuation are dropped, never interpreted
    ('"', []), ("*", []), ("-", []), ("OR", []), ("NEAR", []), ("AND NOT", []), ("()", []),
    ("", []), ("   ", []), ("!!!", []), ("\\", []), ("🔥", []), ("'", []),
    ("' | ! & <-> :*", []),  # tsquery operators
    ('забастовка"', ["strike-ru"]), ('"забастовка', ["strike-ru"]), ("забастовка*", ["strike-ru"]),
    ("-забастовка", ["strike-ru"]), ("^забастовка", ["strike-ru"]), ("NEAR(забастовка", ["strike-ru"]),
    ("(забастовка)", ["strike-ru"]), ("забастовка:*", ["strike-ru"]),
    ("title: забастовка", []),  # no column filter: "title" is a word the article lacks
    ("забастовка OR protest", []),  # OR is no operator: both words are needed
    ("забастовка NOT забастовки", ["strike-ru"]),
    ("'; DROP TABLE articles; --", []),
    ("Robert'); DELETE FROM articles WHERE ('1'='1", []),
    ("strike\x00 Aktau", ["strike-aktau"]),
    ("за\u00adбастовка", ["strike-ru"]),  # a soft hyphen does not split the word
    ("a" * 5000, []),
    (" ".join(["word"] * 50), []),
]


@pytest.mark.parametrize(("query", "expected"), HOSTILE, ids=[repr(q[:30]) for q, _ in HOSTILE])
def test_hostile_queries_are_plain_words(store, now, query, expected):
    add_sources(store, now)
    put(store, now, *CORPUS)
    assert sorted(found(store, query, now)) == expected
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == len(CORPUS)


@pytest.mark.parametrize(("query", "words"), [
    ("strike AND Aktau", ["strike", "Aktau"]),
    ("Забастовка забастовка ЗАБАСТОВКА", ["Забастовка"]),  # the first spelling, once
    (" ".join(f"w{n}" for n in range(20)), [f"w{n}" for n in range(MAX_WORDS)]),
    ("snake_case", ["snake", "case"]),
])
def test_query_words(query, words):
    assert query_words(query) == words


def test_edits_and_deletions_reach_the_index(store, now):
    add_sources(store, now)
    put(store, now, Doc("edited", "Забастовка", "Старое описание."), Doc("gone", "Забастовка докеров"))
    with store.session() as s:
        s.execute(update(Article).where(Article.canonical_url == url("edited")).values(title="Митинг"))
        s.execute(delete(Article).where(Article.canonical_url == url("gone")))
    assert found(store, "забастовка", now) == []
    assert found(store, "митинг", now) == ["edited"]
    if store.is_sqlite:
        with store.session() as s:  # raises if the index and its rows disagree
            s.connection().exec_driver_sql(
                "INSERT INTO articles_search(articles_search, rank) VALUES ('integrity-check', 0)")


# ---- migration 0006 ----


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unmigrated(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    """An empty database: the test migrates it step by step."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'dozor.db'}")
        yield store
        store.close()
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    with postgres_schema(POSTGRES_URL) as pg_url:
        store = Store(pg_url)
        yield store
        store.close()


def add_sources_before_head(store: Store) -> None:
    # Not sync_sources: the Source model may already have columns a later migration adds.
    with store.session() as s:
        s.execute(text("INSERT INTO sources (id, kind, url, name, active, consecutive_failures) VALUES "
                       "('vlast', 'feed', 'https://vlast.kz/feed/', 'Vlast.kz', true, 0)"))


# 0006, not head: these tests are about 0006 alone.
def test_upgrade_indexes_articles_stored_before_0006(unmigrated, now):
    migrate(unmigrated, "0005")
    add_sources_before_head(unmigrated)
    put(unmigrated, now, *CORPUS)
    migrate(unmigrated, "0006")
    assert sorted(found(unmigrated, "Актау", now)) == ["aktau-kk", "strike-aktau"]
    assert found(unmigrated, "забастовка", now) == ["strike-ru"]


def test_downgrade_removes_the_index_and_upgrade_rebuilds_it(unmigrated, now):
    migrate(unmigrated, "0006")
    add_sources_before_head(unmigrated)
    put(unmigrated, now, Doc("before", "Забастовка докеров"))
    migrate(unmigrated, "0005", down=True)
    put(unmigrated, now, Doc("between", "Забастовки продолжаются"))  # no trigger left to fail
    migrate(unmigrated, "0006")
    assert sorted(found(unmigrated, "забастовка", now)) == ["before", "between"]


# ---- /latest ----


def test_latest_hits_are_newest_first_one_row_per_article(store, now):
    add_sources(store, now)
    put(store, now,
        Doc("a1", "First", age=timedelta(hours=4), topics=("strikes",)),
        Doc("a2", "Second", age=timedelta(hours=3), topics=("strikes", "arrests")),
        Doc("a3", "Third", age=timedelta(hours=2), topics=("arrests",)),
        Doc("a4", "Fourth", age=timedelta(hours=1), topics=("weather",)),
        Doc("a5", "Fifth", age=timedelta(hours=5)))
    with store.session() as s:
        both = latest_hits(s, ["strikes", "arrests"])
        strikes = latest_hits(s, ["strikes"])
        two = latest_hits(s, ["strikes", "arrests"], limit=2)
        none = latest_hits(s, [])
    assert [h.title for h in both] == ["Third", "Second", "First"]
    # Second was hit by both topics at the same moment: either may stand for it.
    assert [h.topic_id for h in both] in (["arrests", "strikes", "strikes"], ["arrests", "arrests", "strikes"])
    third = both[0]
    assert (third.url, third.source_name, third.found_at) == (url("a3"), "Vlast.kz", now - timedelta(hours=2))
    assert [(h.title, h.topic_id) for h in strikes] == [("Second", "strikes"), ("First", "strikes")]
    assert [h.title for h in two] == ["Third", "Second"]
    assert none == []
