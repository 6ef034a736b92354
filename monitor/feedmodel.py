"""What every format reader hands the parser: entries as the feed gave them, text already plain.

Readers (`xmlfeed`, `jsonfeed`) know their format's rules (which field is HTML, where the date
is); `parse` turns these into `FeedItem`s with one set of rules for URLs, dates and language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class NotAFeed(ValueError):
    """Raised by a reader when the bytes are not a feed of its format; the message says why and what to do."""


@dataclass(frozen=True)
class RawEntry:
    link: str  # as written in the feed, may be relative or empty
    guid: str | None
    title: str  # plain text
    summary: str  # plain text
    published: datetime | None  # timezone-aware when the feed gave a zone
    language: str | None  # as declared, e.g. "ru-RU"


@dataclass(frozen=True)
class RawFeed:
    format: str  # "rss20", "atom10", "json1.1" …
    title: str  # plain text
    language: str | None
    entries: list[RawEntry] = field(default_factory=list)
    encoding: str | None = None  # how the bytes were decoded, as Python names it ("cp1251")
