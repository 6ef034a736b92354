"""Which other sources brought an article already stored (same canonical URL).

The first source to bring a URL owns the article; any other source whose feed lists the same URL
later is noted here, in the same transaction as that poll's articles, so one alert can name them
all ("Vlast.kz, Orda.kz") instead of a second alert repeating the story.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from monitor.store.models import Article, ArticleSource, Source


def note_sources(session: Session, source_id: str, urls: Iterable[str], now: datetime) -> int:
    """Note `source_id` on the stored articles among `urls` that another source brought first;
    returns how many notes were new."""
    wanted = set(urls)
    if not wanted:
        return 0
    articles = set(session.scalars(
        select(Article.id).where(Article.canonical_url.in_(wanted), Article.source_id != source_id)
    ))
    if not articles:
        return 0
    known = set(session.scalars(
        select(ArticleSource.article_id).where(
            ArticleSource.article_id.in_(articles), ArticleSource.source_id == source_id)
    ))
    rows = [{"article_id": a, "source_id": source_id, "found_at": now} for a in sorted(articles - known)]
    if rows:
        session.execute(insert(ArticleSource.__table__), rows)
    return len(rows)


def other_sources(session: Session, article_ids: set[int]) -> dict[int, list[str]]:
    """article id → the names of the other sources that brought it, in the order they did."""
    if not article_ids:
        return {}
    rows = session.execute(
        select(ArticleSource.article_id, ArticleSource.source_id, Source.name)
        .outerjoin(Source, Source.id == ArticleSource.source_id)
        .where(ArticleSource.article_id.in_(article_ids))
        .order_by(ArticleSource.found_at, ArticleSource.source_id)
    )
    found: dict[int, list[str]] = {}
    for article_id, source_id, name in rows:
        found.setdefault(article_id, []).append(name or source_id)
    return found
