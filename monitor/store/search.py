"""Search stored articles (/search) and list the newest hits of some topics (/latest).

A query is split into words; each word becomes the word forms a topic term would match
(`monitor.forms`: забастовка → забастовки, забастовку …; strike → strikes; Aktau → Актау, Ақтауда),
and an article must contain some form of every word. As in topics, a Capitalised word is read as
a name and also gets its other scripts' spellings; a lowercase one is a common word. The forms are
folded like the index, then quoted one by one into the backend's syntax: user text never reaches
FTS5 or tsquery syntax as written. Only letters and digits make words; FTS operators (AND OR NOT
NEAR) and punctuation are dropped, so a query of nothing else finds nothing.

The index (migration 0006) folds ё and the Kazakh letters in SQL — triggers on SQLite, a generated
column on PostgreSQL — so "Актау" finds "Ақтау". In SQL rather than in `store_items`, because then
every write path keeps it right and the migration can backfill without application code; the cost
is a copy of `monitor.fold`'s letter table in the migration. One difference remains between the
backends: PostgreSQL's parser keeps host names and e-mail addresses whole (vlast.kz).

Ranking: bm25 on SQLite (title weighted over summary over text), ts_rank on PostgreSQL (weights
A/B/C from the index); ties go to the most recently fetched. Only articles fetched in the last
`days` count: fetched, not published, because feeds' dates can be missing or wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Label, Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from monitor.fold import fold, fold_with_offsets
from monitor.word_forms import Expand, default_forms
from monitor.store.models import Article, Hit, Source
from monitor.translit import visible

MAX_WORDS = 8  # words beyond these are ignored: each costs dozens of forms
SNIPPET_CHARS = 160
_WORD = re.compile(r"[^\W_]+")  # letters and digits, as the FTS tokenizers see words
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})  # FTS5's, which are case-sensitive
_BM25_WEIGHTS = (4.0, 2.0, 1.0)  # title, summary, text: the FTS5 table's column order
_SNIPPET_LEAD = SNIPPET_CHARS // 3  # characters shown before the match


@dataclass(frozen=True)
class FoundArticle:
    article_id: int
    title: str
    url: str
    source_name: str
    published_at: datetime | None
    fetched_at: datetime
    snippet: str  # plain text, about SNIPPET_CHARS long, "…" where cut


@dataclass(frozen=True)
class LatestHit:
    topic_id: str
    title: str
    url: str
    source_name: str
    found_at: datetime


def search_articles(
    session: Session, words: str, now: datetime, *, days: int = 30, offset: int = 0, limit: int = 5,
    expand: Expand | None = None,
) -> list[FoundArticle]:
    """Stored articles fetched in the last `days` that contain every word in some form, best first."""
    typed = query_words(words)
    if not typed or limit <= 0:
        return []
    groups = _form_groups(typed, expand)
    if session.get_bind().dialect.name == "sqlite":
        query = _sqlite_query(groups)
    else:
        query = _postgresql_query(groups)
    query = query.where(Article.fetched_at >= now - timedelta(days=days)).offset(max(offset, 0)).limit(limit)
    pattern = _forms_pattern(groups)
    return [
        FoundArticle(
            article_id=row.id, title=row.title, url=row.canonical_url, source_name=row.source_name,
            published_at=row.published_at, fetched_at=row.fetched_at,
            snippet=snippet(row.summary, row.text, pattern),
        )
        for row in session.execute(query)
    ]


def latest_hits(session: Session, topic_ids: list[str], limit: int = 5) -> list[LatestHit]:
    """The newest hits of these topics, newest first; an article hit by several topics once."""
    if not topic_ids or limit <= 0:
        return []
    newest_first = (Hit.created_at.desc(), Hit.id.desc())
    ranked = (
        select(Hit.id, func.row_number().over(partition_by=Hit.article_id, order_by=newest_first).label("n"))
        .where(Hit.topic_id.in_(topic_ids))
        .subquery()
    )
    query = (
        select(Hit.topic_id, Article.title, Article.canonical_url, _source_name(), Hit.created_at)
        .join(ranked, (ranked.c.id == Hit.id) & (ranked.c.n == 1))
        .join(Article, Article.id == Hit.article_id)
        .join(Source, Source.id == Article.source_id)
        .order_by(*newest_first)
        .limit(limit)
    )
    return [LatestHit(topic_id, title, url, source_name, found_at)
            for topic_id, title, url, source_name, found_at in session.execute(query)]


def query_words(words: str) -> list[str]:
    """The words of a query as typed (case kept: a Capitalised word is a name), each once."""
    out: dict[str, str] = {}
    for word in _WORD.findall(unicodedata.normalize("NFC", visible(words))):
        if word not in _OPERATORS:
            out.setdefault(fold(word), word)
    return list(out.values())[:MAX_WORDS]


def snippet(summary: str, text: str | None, pattern: re.Pattern[str] | None) -> str:
    """About SNIPPET_CHARS of plain text around the first match in the summary, else in the text;
    the start of the summary (or text) when neither holds one (the title matched)."""
    for field in (summary, text or ""):
        folded = fold_with_offsets(field)
        found = pattern.search(folded.text) if pattern else None
        if found:
            return _around(field, folded.original_span(found.start(), found.end())[0])
    return _around(summary or text or "", 0)


def _form_groups(words: list[str], expand: Expand | None) -> list[list[str]]:
    """Each word's searchable forms; by default the matcher's (`default_forms`): a word seen before
    costs nothing, a new one loads the dictionaries, which are let go again afterwards."""
    if expand is not None:
        return [_searchable_forms(word, expand) for word in words]
    with default_forms().loaded() as forms:
        return [_searchable_forms(word, forms) for word in words]


def _searchable_forms(word: str, expand: Expand) -> list[str]:
    # Only forms that are one plain word: anything else could carry syntax or split differently.
    forms = {form for form in expand(word) if _WORD.fullmatch(form)} | {fold(word)}
    return sorted(forms)


def _sqlite_query(groups: list[list[str]]) -> Select[Any]:
    # "form" is an FTS5 string (a phrase of one word); forms contain no '"' (_searchable_forms).
    expression = " AND ".join("(" + " OR ".join(f'"{form}"' for form in forms) + ")" for forms in groups)
    fts = table("articles_search", column("rowid"))  # migration 0006
    whole_row = literal_column("articles_search")  # FTS5 takes the table's name for the row
    matching = (
        select(fts.c.rowid.label("article_id"), func.bm25(whole_row, *_BM25_WEIGHTS).label("rank"))
        .where(whole_row.op("MATCH")(expression))
        .subquery()
    )
    return (
        _found_columns()
        .join(matching, matching.c.article_id == Article.id)
        .order_by(matching.c.rank, Article.fetched_at.desc(), Article.id.desc())  # bm25: lower is better
    )


def _postgresql_query(groups: list[list[str]]) -> Select[Any]:
    # 'form' is a tsquery lexeme; forms contain no quote or backslash (_searchable_forms).
    expression = " & ".join("(" + " | ".join(f"'{form}'" for form in forms) + ")" for forms in groups)
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), expression)
    vector = literal_column("articles.search_vector")
    return (
        _found_columns()
        .where(vector.op("@@")(tsquery))
        .order_by(func.ts_rank(vector, tsquery).desc(), Article.fetched_at.desc(), Article.id.desc())
    )


def _found_columns() -> Select[Any]:
    return select(
        Article.id, Article.title, Article.canonical_url, _source_name(), Article.published_at,
        Article.fetched_at, Article.summary, Article.text,
    ).join(Source, Source.id == Article.source_id)


def _source_name() -> Label[str]:
    """The source's configured name, or its id when it has none."""
    return func.coalesce(func.nullif(Source.name, ""), Source.id).label("source_name")


def _forms_pattern(groups: list[list[str]]) -> re.Pattern[str] | None:
    """Any form as a whole word in folded text; longest first, so a longer form wins."""
    forms = sorted({form for forms in groups for form in forms}, key=len, reverse=True)
    if not forms:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, forms)) + r")(?![^\W_])")


def _around(field: str, position: int) -> str:
    """SNIPPET_CHARS of `field` from a little before `position`, cut at spaces, whitespace collapsed."""
    start = max(position - _SNIPPET_LEAD, 0)
    if start:
        space = field.find(" ", start, position)
        start = space + 1 if space >= 0 else start
    end = start + SNIPPET_CHARS
    if end < len(field):
        space = field.rfind(" ", position + 1, end)
        end = space if space > position else end
    text = " ".join(field[start:end].split())
    return ("…" if start else "") + text + ("…" if end < len(field) else "")
