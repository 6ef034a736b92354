"""RSS 0.9x/1.0/2.0, Atom 0.3/1.0, RDF and CDF through feedparser, with a second look at the encoding.

feedparser picks the encoding from the HTTP charset, the XML declaration and chardet, following
RFC 3023 (see `feedparser/encodings.py`); `monitor.charset` catches the Russian feeds it misreads.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import feedparser

from monitor.charset import better_cyrillic_encoding, codec_name, worth_a_second_look
from monitor.feedmodel import NotAFeed, RawEntry, RawFeed
from monitor.normalise import clean_text, plain_text

_GUESSED = (feedparser.CharacterEncodingOverride, feedparser.CharacterEncodingUnknown)
_HTML_PAGE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)


def read_xml_feed(body: bytes, url: str, headers: Mapping[str, str]) -> RawFeed:
    """Read an XML feed; raises NotAFeed when feedparser finds no feed in the bytes."""
    response_headers = {**headers, "content-location": url}
    # With headers but no Content-Type, feedparser falls back to ISO-8859-1 (RFC 2616's text/*
    # default), which never fails and turns every undeclared non-Latin feed into mojibake. An
    # XML media type gives XML's own default instead: UTF-8, then chardet.
    response_headers.setdefault("content-type", "application/xml")
    parsed = _parse(body, response_headers)
    guessed = isinstance(parsed.get("bozo_exception"), _GUESSED)
    if worth_a_second_look(parsed.get("encoding"), guessed):
        better = better_cyrillic_encoding(body, parsed.get("encoding"))
        if better:
            parsed = _parse(body, {**response_headers, "content-type": f"application/xml; charset={better}"})
    entries = parsed.get("entries") or []
    if not parsed.get("version") and not entries:
        raise NotAFeed(_why_not(body, parsed))
    feed = parsed.get("feed") or {}
    return RawFeed(
        format=parsed.get("version") or "unknown",
        title=_text(feed, "title"),
        language=feed.get("language"),
        entries=[_entry(entry) for entry in entries],
        encoding=codec_name(parsed.get("encoding")) or parsed.get("encoding") or None,  # one spelling: "cp1251"
    )


def _parse(body: bytes, response_headers: dict[str, str]) -> Any:
    # Scripts and styles are dropped with their content by plain_text; feedparser's sanitizer
    # would only cost time, and it rewrites the markup some corpus feeds test.
    return feedparser.parse(body, response_headers=response_headers, sanitize_html=False)


def _entry(entry: Any) -> RawEntry:
    summary = _text(entry, "summary")
    if not summary and entry.get("content"):
        content = entry["content"][0]
        summary = _plain(content.get("value"), content.get("type"))
    return RawEntry(
        link=entry.get("link") or "",
        guid=entry.get("id") or None,
        title=_text(entry, "title"),
        summary=summary,
        published=_time(entry.get("published_parsed") or entry.get("updated_parsed")),
        language=_declared_language(entry),
    )


def _text(node: Any, key: str) -> str:
    return _plain(node.get(key), (node.get(f"{key}_detail") or {}).get("type"))


def _plain(value: str | None, content_type: str | None) -> str:
    # feedparser has already decoded entities in text/plain values: "1 &lt; 2" arrives as "1 < 2",
    # and must not be stripped or decoded again.
    return clean_text(value) if content_type == "text/plain" else plain_text(value)


def _declared_language(entry: Any) -> str | None:
    # xml:lang on the entry (or inherited from the feed) reaches us through the text details.
    for key in ("title_detail", "summary_detail"):
        language = (entry.get(key) or {}).get("language")
        if language:
            return language
    return None


def _time(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)  # feedparser gives UTC
    except (OverflowError, ValueError, OSError):
        return None  # a year like 99999: treated as no date


def _why_not(body: bytes, parsed: Any) -> str:
    if not body.strip():
        return "the response is empty"
    if _HTML_PAGE.match(body[:4096]):
        return ("an HTML page, not a feed: use the feed URL the page names in "
                '<link rel="alternate" type="application/rss+xml">')
    reason = parsed.get("bozo_exception")
    return f"not an RSS, Atom or JSON feed ({reason or 'no feed elements found'})"
