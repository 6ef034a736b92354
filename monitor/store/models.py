"""Tables: sources and their health, articles, hits, subscribers, subscriptions, the outbox.

Subscribers may be at risk, so `subscribers` holds a chat id and the chat's choices only; deleting
the row cascades to its subscriptions and deliveries.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out on every backend (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    """A configured source and its polling state (the config owns name/url; we keep a copy)."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="feed")
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_new_item_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Set after fetch.pause_after failures in a row; a paused source is not polled until resumed.
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Who is checking it now ("host/pid"), so a restart can take back what a killed process held
    # instead of waiting out the lease; cleared when the check is recorded.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the interval counts from here
    # Set when the source went quiet for 3x its usual gap (and admins were told); cleared on news.
    silent_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Crawled sources (listing, sitemap, spider): selector rot. `empty_polls` counts polls in a
    # row that read the site but found no links (or only pages with no text); after
    # fetch.broken_after of them the source is BROKEN (and admins told once) until it yields again.
    last_yield_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    empty_polls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    broken_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    broken_reason: Mapped[str | None] = mapped_column(Text)


class Crawler(Base):
    """A process that crawls (`dozor run` in role all or worker) and when it was last alive:
    claims of one silent for a minute are taken back by the others (see store/sources.py)."""

    __tablename__ = "crawlers"

    holder: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    guid: Mapped[str | None] = mapped_column(Text, index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str | None] = mapped_column(Text)  # the page's main text (fetch_article sources)
    language: Mapped[str | None] = mapped_column(String(20))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Hit(Base):
    """An article that matched a topic; `terms` are the topic terms found in it."""

    __tablename__ = "hits"
    __table_args__ = (UniqueConstraint("article_id", "topic_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    topic_id: Mapped[str] = mapped_column(String(100), index=True)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Evidence: [{"term", "found", "field", "start", "end"}], and the snippet alerts show.
    matches: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    snippet: Mapped[str | None] = mapped_column(Text)
    snippet_marks: Mapped[list[list[int]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Subscriber(Base):
    """A chat that talked to the bot. Only the id and its choices: nothing about the person."""

    __tablename__ = "subscribers"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    # How normal-priority alerts arrive: "off" (each at once), "hourly", or "daily" at `digest_at`
    # ("HH:MM" in the config's timezone). Urgent topics ignore digests, quiet hours and mutes.
    digest: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    digest_at: Mapped[str | None] = mapped_column(String(5))
    # A daily quiet window ("HH:MM" each, local time; may wrap midnight) and a one-off mute.
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))
    muted_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_digest_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Subscription(Base):
    __tablename__ = "subscriptions"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.chat_id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[str] = mapped_column(String(100), primary_key=True)


class Delivery(Base):
    """One alert owed to one chat: the outbox row the sender claims, sends and marks."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("hit_id", "chat_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hit_id: Mapped[int] = mapped_column(ForeignKey("hits.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.chat_id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set (and committed) just before a send; cleared when Telegram's answer says it did not go
    # out. Still set when the row is tried again means the last try may have reached the chat
    # (a crash or a timeout mid-send): that next send is a possible repeat, counted in `repeats`.
    sending_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    repeats: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ArticleSource(Base):
    """Another source that brought an article already stored (same canonical URL), so one
    alert can name every source that carried the story."""

    __tablename__ = "article_sources"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    found_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OperatorEvent(Base):
    """Something operators must hear about (a source paused or silent, a bad config edit).

    The bot sends each pending event to every chat in `telegram.admins`, then marks it sent.
    """

    __tablename__ = "operator_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


PENDING, SENT, FAILED = "pending", "sent", "failed"
