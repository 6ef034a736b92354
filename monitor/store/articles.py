"""Write what a poll found: new articles, their hits and the outbox rows, in one transaction.

Because the three are written together, a crash either keeps all of them or none: an alert can
never be stored without being owed to its subscribers, nor owed for an article that is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.match import TopicMatch
from monitor.parse import FeedItem
from monitor.store.models import PENDING, Article, Delivery, Hit, Subscription


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
    hits: list[NewHit] = []
    for matched in fresh:
        article = _article(source_id, matched.item, now)
        article.text = matched.text
        session.add(article)
        session.flush()
        for match in matched.matches:
            hits.append(_hit(session, article, match, now))
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


def _article(source_id: str, item: FeedItem, now: datetime) -> Article:
    return Article(
        canonical_url=item.url,
        guid=item.guid,
        source_id=source_id,
        title=item.title,
        summary=item.summary,
        language=item.language,
        published_at=item.published_at,
        fetched_at=now,
    )


def _hit(session: Session, article: Article, match: TopicMatch, now: datetime) -> NewHit:
    hit = Hit(article_id=article.id, topic_id=match.topic_id, terms=list(match.terms), created_at=now)
    session.add(hit)
    session.flush()
    chats = session.scalars(
        select(Subscription.chat_id).where(Subscription.topic_id == match.topic_id)
    ).all()
    for chat_id in chats:
        session.add(
            Delivery(
                hit_id=hit.id, chat_id=chat_id, status=PENDING, attempts=0,
                next_attempt_at=now, created_at=now,
            )
        )
    return NewHit(
        topic_id=match.topic_id,
        source_id=article.source_id,
        title=article.title,
        url=article.canonical_url,
        terms=match.terms,
        deliveries=len(chats),
    )


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
