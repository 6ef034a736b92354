"""Backtest: what would the rules have caught in the articles already stored, and what would a change do?

`run_backtest(articles, rules, baseline)` is pure: it matches each article with the rules under test
(and, when given, with the baseline the service runs now) and returns, per topic, hits per day,
a few sample hits, and the hits the change would ADD (found only by the new rules) and REMOVE
(found only by the baseline). The baseline is recomputed from the same articles, never read from
the `hits` table: stored hits reflect whatever rules were live when each article arrived.

`stored_articles(store, since)` streams articles from the database in batches, newest first, so a
backtest over 100k articles never holds them all in memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from monitor.match import Matcher, TopicMatch
from monitor.store.db import Store
from monitor.store.models import Article

BATCH = 500
SAMPLES = 5


@dataclass(frozen=True)
class StoredArticle:
    """An article as the matcher saw it at ingest: the title, and the feed summary plus page text."""

    id: int
    source_id: str
    url: str
    title: str
    text: str
    fetched_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True)
class Sample:
    """One hit to show: which article, and what the rules found in it (term → form found)."""

    article_id: int
    source_id: str
    url: str
    title: str
    fetched_at: datetime
    found: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"article_id": self.article_id, "source": self.source_id, "url": self.url,
                "title": self.title, "fetched_at": self.fetched_at.isoformat(),
                "found": [{"term": term, "found": text} for term, text in self.found]}


@dataclass
class TopicResult:
    """One topic over the window. `per_day` counts hits under the rules tested (UTC days of
    fetched_at); with a baseline, `added`/`removed` count the hits the change adds and removes."""

    topic_id: str
    per_day: Counter[date] = field(default_factory=Counter)
    baseline_per_day: Counter[date] = field(default_factory=Counter)
    samples: list[Sample] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    added_samples: list[Sample] = field(default_factory=list)
    removed_samples: list[Sample] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return sum(self.per_day.values())

    @property
    def baseline_hits(self) -> int:
        return sum(self.baseline_per_day.values())


@dataclass
class Backtest:
    """The result: articles read, and one TopicResult per topic of either config."""

    compared: bool
    articles: int = 0
    topics: dict[str, TopicResult] = field(default_factory=dict)


def run_backtest(
    articles: Iterable[StoredArticle],
    rules: Matcher,
    baseline: Matcher | None = None,
    *,
    topic_ids: Iterable[str] = (),
    samples: int = SAMPLES,
) -> Backtest:
    """Match every article with `rules` (and `baseline`); samples are the first hits in the
    order given (`stored_articles` gives newest first). `topic_ids` lists topics to report even
    when they never fire, in the order to show them."""
    result = Backtest(compared=baseline is not None)
    for topic_id in topic_ids:
        result.topics[topic_id] = TopicResult(topic_id)
    for article in articles:
        result.articles += 1
        day = article.fetched_at.date()
        new = _by_topic(rules.match(article.title, article.text))
        old = _by_topic(baseline.match(article.title, article.text)) if baseline else {}
        for topic_id, match in new.items():
            topic = result.topics.setdefault(topic_id, TopicResult(topic_id))
            topic.per_day[day] += 1
            _keep(topic.samples, article, match, samples)
            if baseline is not None and topic_id not in old:
                topic.added += 1
                _keep(topic.added_samples, article, match, samples)
        for topic_id, match in old.items():
            topic = result.topics.setdefault(topic_id, TopicResult(topic_id))
            topic.baseline_per_day[day] += 1
            if topic_id not in new:
                topic.removed += 1
                _keep(topic.removed_samples, article, match, samples)
    return result


def _by_topic(matches: list[TopicMatch]) -> dict[str, TopicMatch]:
    return {match.topic_id: match for match in matches}


def _keep(kept: list[Sample], article: StoredArticle, match: TopicMatch, limit: int) -> None:
    if len(kept) >= limit:
        return
    found = tuple(dict.fromkeys((m.term, m.found) for m in match.matches))
    kept.append(Sample(article.id, article.source_id, article.url, article.title, article.fetched_at, found))


def days(since: datetime, until: datetime) -> list[date]:
    """Every UTC day from `since` to `until`, both included: the columns of a per-day chart."""
    first, last = since.date(), until.date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# ---- the store ----


def count_articles(store: Store, since: datetime) -> int:
    """How many articles were fetched since `since` (the progress bar's total)."""
    with store.session() as session:
        query = select(func.count()).select_from(Article).where(Article.fetched_at >= since)
        return session.scalar(query) or 0


def stored_articles(store: Store, since: datetime, batch: int = BATCH) -> Iterator[StoredArticle]:
    """Articles fetched since `since`, newest first, read `batch` rows at a time.

    Each batch is its own short transaction and starts where the last one stopped (keyed on
    fetched_at, id; not OFFSET, which rescans), so the service keeps writing while a long
    backtest reads."""
    after: tuple[datetime, int] | None = None
    while True:
        query = (select(Article.id, Article.source_id, Article.canonical_url, Article.title, Article.summary,
                        Article.text, Article.fetched_at, Article.published_at)
                 .where(Article.fetched_at >= since)
                 .order_by(Article.fetched_at.desc(), Article.id.desc()).limit(batch))
        if after is not None:
            fetched, last_id = after
            query = query.where(or_(Article.fetched_at < fetched,
                                    and_(Article.fetched_at == fetched, Article.id < last_id)))
        with store.session() as session:
            rows = session.execute(query).all()
        for row in rows:
            yield StoredArticle(row.id, row.source_id, row.canonical_url, row.title or "",
                                article_text(row.summary, row.text), row.fetched_at, row.published_at)
        if len(rows) < batch:
            return
        after = (rows[-1].fetched_at, rows[-1].id)


def article_text(summary: str | None, text: str | None) -> str:
    """The `text` field as ingest matches it: the feed summary, then the page text when fetched
    (keep in step with monitor.ingest._matched)."""
    return f"{summary or ''}\n{text}" if text else summary or ""
