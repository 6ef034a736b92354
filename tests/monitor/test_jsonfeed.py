"""JSON Feed 1.0/1.1 detection and reading (https://jsonfeed.org/version/1.1/)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.feedmodel import NotAFeed
from monitor.jsonfeed import looks_like_json_feed, read_json_feed

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"


def feed(*items: dict, **top: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T", **top,
                       "items": list(items)}).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        pytest.param(b'{"items": []}', "application/feed+json", True, id="JSON Feed media type"),
        pytest.param(b'{"items": []}', "application/json; charset=utf-8", True, id="plain JSON media type"),
        pytest.param(b'{"version": "https://jsonfeed.org/version/1", "items": []}', "text/plain", True,
                     id="version URL, wrong media type"),
        pytest.param(b'{"version":"https:\\/\\/jsonfeed.org\\/version\\/1","items":[]}', "", True,
                     id="version URL with escaped slashes (as NPR writes it)"),
        pytest.param(b'{"items": []}', "text/html", False, id="a JSON object that says nothing"),
        pytest.param(b"<rss/>", "application/json", False, id="XML labelled JSON"),
        pytest.param(b"", "application/feed+json", False, id="empty"),
    ],
)
def test_looks_like_json_feed(body, content_type, expected):
    assert looks_like_json_feed(body, content_type) is expected


def test_items_carry_id_link_text_date_and_language():
    raw = read_json_feed(feed(
        {"id": "a1", "url": "https://e.kz/1", "title": "Ереуіл", "language": "kk",
         "content_html": "<p>Жұмысшылар <b>ереуілге</b> шықты</p><script>x()</script>",
         "date_published": "2026-11-26T08:00:00+05:00", "date_modified": "2026-11-26T09:00:00+05:00"},
        language="ru",
    ), {})
    assert raw.format == "json1.1" and raw.title == "T" and raw.language == "ru"
    entry = raw.entries[0]
    assert (entry.guid, entry.link, entry.title, entry.language) == ("a1", "https://e.kz/1", "Ереуіл", "kk")
    assert entry.summary == "Жұмысшылар ереуілге шықты"
    assert entry.published == datetime(2026, 11, 26, 8, 0, tzinfo=timezone(timedelta(hours=5)))


@pytest.mark.parametrize(
    ("item", "field", "expected"),
    [
        pytest.param({"id": 7, "url": "u"}, "guid", "7", id="numeric id (JSON Feed 1.0 producers)"),
        pytest.param({"id": "", "url": "u"}, "guid", None, id="empty id"),
        pytest.param({"id": "1", "external_url": "https://e.kz/x"}, "link", "https://e.kz/x",
                     id="external_url when there is no url"),
        pytest.param({"id": "1", "summary": "Short", "content_text": "Long"}, "summary", "Short",
                     id="summary first"),
        pytest.param({"id": "1", "content_text": "<b>not a tag</b>"}, "summary", "<b>not a tag</b>",
                     id="content_text is plain text"),
        pytest.param({"id": "1", "title": "AT&amp;T"}, "title", "AT&amp;T", id="titles are plain text"),
        pytest.param({"id": "1", "date_modified": "2026-11-26T08:00:00Z"}, "published",
                     datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc), id="date_modified when not published"),
        pytest.param({"id": "1", "date_published": "Thu, 26 Nov 2026 08:00:00 +0000"}, "published",
                     datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc), id="RFC 822 date, against the spec"),
        pytest.param({"id": "1", "date_published": "yesterday"}, "published", None, id="unreadable date"),
        pytest.param({"id": "1", "title": ["not", "a", "string"]}, "title", "", id="wrong type ignored"),
    ],
)
def test_item_fields(item, field, expected):
    assert getattr(read_json_feed(feed(item), {}).entries[0], field) == expected


def test_items_that_are_not_objects_are_skipped():
    assert len(read_json_feed(feed({"id": "1"}, "junk", 5), {}).entries) == 1


def test_a_declared_legacy_charset_is_honoured():
    body = feed({"id": "1", "title": "Забастовка"}).decode("unicode_escape").encode("cp1251")
    raw = read_json_feed(body, {"content-type": "application/json; charset=windows-1251"})
    assert raw.entries[0].title == "Забастовка"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b'{"items": [', "not valid JSON", id="truncated"),
        pytest.param(b"[1, 2]", 'no "items" list', id="an array"),
        pytest.param(b'{"version": "https://jsonfeed.org/version/1"}', 'no "items" list', id="no items"),
        pytest.param(b"\xff\xfe\x00garbage", "not valid JSON", id="undecodable bytes"),
    ],
)
def test_what_is_not_a_json_feed_raises_not_a_feed(body, reason):
    with pytest.raises(NotAFeed, match=reason):
        read_json_feed(body, {})


@pytest.mark.parametrize(
    ("path", "version", "count", "title"),
    [
        ("npr_jsonfeed.json", "json1", 25, "Technology"),
        ("feedparser/json/example.json", "json1", 2, "My Example Feed"),
    ],
)
def test_real_json_feeds(path, version, count, title):
    raw = read_json_feed((FEEDS / path).read_bytes(), {})
    assert (raw.format, len(raw.entries), raw.title) == (version, count, title)
    assert all(entry.link.startswith("https://") and entry.guid for entry in raw.entries)
