"""Write what a poll found: new articles, their hits and the outbox rows, in one transaction.

Because the three are written together, a crash either keeps all of them or none: an alert can
never be stored without being owed to its subscribers, nor owed for an article that is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, or_, select
from sqlalchemy.orm import Session

from monitor.match import TopicMatch
from monitor.parse import FeedItem
from monitor.store.models import PENDING, Article, Delivery, Hit, Subscription, UtcDateTime


@dataclass(frozen=True)
class MatchedItem:
    item: FeedItem
    matches: list[TopicMatch]
    text: str | None = None  # the page's main text, when it was fetched


@dataclass(frozen=True)
class NewHit:
    """A hit just stored, with what a console line or a log needs."""

    topic_id: str
    source_id: str
    title: str
    url: str
    terms: tuple[str, ...]
    deliveries: int


@dataclass(frozen=True)
class Stored:
    new_articles: int
    hits: list[NewHit]


def store_items(session: Session, source_id: str, items: list[MatchedItem], now: datetime) -> Stored:
    """Store the items not seen before (same canonical URL or guid, from any source)."""
    fresh = _unseen(session, items)
    if not fresh:
        return Stored(new_articles=0, hits=[])
    # Multi-row INSERT … RETURNING (Core: no ORM objects needed) instead of an ORM flush per row:
    # the benchmark's 2,000 feeds take 5 s of CPU to store instead of 22 (docs/benchmarks.md).
    # Ids come back keyed by unique columns: RETURNING promises no row order.
    article_ids = {url: article_id for url, article_id in session.execute(
        insert(Article.__table__).returning(Article.canonical_url, Article.id),
        [_article_row(source_id, matched, now) for matched in fresh],
    )}
    found = [(matched.item, article_ids[matched.item.url], match)
             for matched in fresh for match in matched.matches]
    if not found:
        return Stored(new_articles=len(fresh), hits=[])
    hit_ids = {(article_id, topic_id): hit_id for hit_id, article_id, topic_id in session.execute(
        insert(Hit.__table__).returning(Hit.id, Hit.article_id, Hit.topic_id),
        [_hit_row(article_id, match, now) for _, article_id, match in found],
    )}
    _owe_alerts(session, list(hit_ids.values()), now)
    chats = _subscriber_counts(session, {match.topic_id for _, _, match in found})
    hits = [NewHit(topic_id=match.topic_id, source_id=source_id, title=item.title, url=item.url,
                   terms=match.terms, deliveries=chats.get(match.topic_id, 0))
            for item, _, match in found]
    return Stored(new_articles=len(fresh), hits=hits)


def unseen_urls(session: Session, items: list[tuple[str, str | None]]) -> set[str]:
    """The URLs among (url, guid) pairs that no stored article has, by URL or by guid.

    An item listed twice in one batch counts once (the first)."""
    urls = {url for url, _ in items}
    guids = {guid for _, guid in items if guid}
    seen_urls: set[str] = set()
    seen_guids: set[str] = set()
    if items:
        rows = session.execute(
            select(Article.canonical_url, Article.guid).where(
                or_(Article.canonical_url.in_(urls), Article.guid.in_(guids))
            )
        )
        for url, guid in rows:
            seen_urls.add(url)
            if guid:
                seen_guids.add(guid)
    fresh: set[str] = set()
    for url, guid in items:
        if url in seen_urls or (guid and guid in seen_guids):
            continue
        seen_urls.add(url)
        if guid:
            seen_guids.add(guid)
        fresh.add(url)
    return fresh


def _unseen(session: Session, items: list[MatchedItem]) -> list[MatchedItem]:
    fresh = unseen_urls(session, [(m.item.url, m.item.guid) for m in items])
    out = []
    for matched in items:
        if matched.item.url in fresh:
            fresh.discard(matched.item.url)  # the first of duplicates wins
            out.append(matched)
    return out


def _article_row(source_id: str, matched: MatchedItem, now: datetime) -> dict[str, object]:
    item = matched.item
    return {
        "canonical_url": item.url, "guid": item.guid, "source_id": source_id, "title": item.title,
        "summary": item.summary, "text": matched.text, "language": item.language,
        "published_at": item.published_at, "fetched_at": now,
    }


def _hit_row(article_id: int, match: TopicMatch, now: datetime) -> dict[str, object]:
    snippet = match.snippet
    return {
        "article_id": article_id, "topic_id": match.topic_id, "terms": list(match.terms), "created_at": now,
        "matches": [{"term": m.term, "found": m.found, "field": m.field, "start": m.start, "end": m.end}
                    for m in match.matches],
        "snippet": snippet.text if snippet else None,
        "snippet_marks": [list(mark) for mark in snippet.marks] if snippet else None,
    }


def _owe_alerts(session: Session, hit_ids: list[int], now: datetime) -> None:
    """An outbox row for every subscriber of each hit's topic."""
    # INSERT … SELECT: the database pairs hits with subscribers and no outbox row passes through
    # Python, so the cost hardly grows with subscribers (benchmark, 50 per topic: 8 s of CPU
    # instead of 14 s to store 2,000 feeds).
    owed = (
        select(Hit.id, Subscription.chat_id, literal(PENDING), literal(0), literal(now, UtcDateTime()),
               literal(now, UtcDateTime()))
        .join(Subscription, Subscription.topic_id == Hit.topic_id)
        .where(Hit.id.in_(hit_ids))
        .order_by(Hit.id, Subscription.chat_id)  # outbox ids in the hits' order: sent oldest first
    )
    columns = ["hit_id", "chat_id", "status", "attempts", "next_attempt_at", "created_at"]
    session.execute(insert(Delivery.__table__).from_select(columns, owed))


def _subscriber_counts(session: Session, topic_ids: set[str]) -> dict[str, int]:
    rows = session.execute(
        select(Subscription.topic_id, func.count()).where(Subscription.topic_id.in_(topic_ids))
        .group_by(Subscription.topic_id)
    )
    return {topic_id: count for topic_id, count in rows}


@dataclass(frozen=True)
class HitRow:
    """A stored hit for `dozor hits`."""

    time: datetime
    topic: str
    source: str
    title: str
    url: str
    terms: list[str]


def recent_hits(session: Session, topic_id: str | None = None, limit: int = 50) -> list[HitRow]:
    query = (
        select(Hit, Article)
        .join(Article, Hit.article_id == Article.id)
        .order_by(Hit.created_at.desc(), Hit.id.desc())
        .limit(limit)
    )
    if topic_id:
        query = query.where(Hit.topic_id == topic_id)
    return [
        HitRow(hit.created_at, hit.topic_id, article.source_id, article.title,
               article.canonical_url, list(hit.terms))
        for hit, article in session.execute(query)
    ]
