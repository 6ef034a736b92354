"""Canonical URLs, plain text and publication times from scraped strings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.normalise import canonical_url, clean_text, plain_text, published_time

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://Example.ORG/a?utm_source=tg&utm_medium=x&id=5#comments", None, "https://example.org/a?id=5"),
        ("http://example.org:80/a?fbclid=abc", None, "http://example.org/a"),
        ("https://example.org:443", None, "https://example.org/"),
        ("/news/1?gclid=1&page=2", "https://example.kz/feed", "https://example.kz/news/1?page=2"),
        ("  https://example.org/b  ", None, "https://example.org/b"),
        # Tracking parameters: Yandex, Mailchimp, Google Analytics, Instagram, any utm_* spelling.
        ("https://e.kz/a?yclid=1&ysclid=2&_openstat=3&x=1", None, "https://e.kz/a?x=1"),
        ("https://e.kz/a?mc_cid=1&mc_eid=2&_ga=3&igshid=4&UTM_Campaign=5", None, "https://e.kz/a"),
        # Other query parameters are kept exactly as written: no "=" added, no re-encoding.
        ("https://e.kz/news?12345&utm_source=x", None, "https://e.kz/news?12345"),
        ("https://e.kz/search?q=a%20b&tag=x+y", None, "https://e.kz/search?q=a%20b&tag=x+y"),
        ("https://e.kz/search?q=%d0%b0", None, "https://e.kz/search?q=%D0%B0"),
        # Ports: only the scheme's default is dropped.
        ("https://e.kz:8443/a", None, "https://e.kz:8443/a"),
        ("http://e.kz:443/a", None, "http://e.kz:443/a"),
        ("HTTPS://User@E.KZ:443/A", None, "https://User@e.kz/A"),
        # One path, however it is escaped.
        ("https://e.kz/новости/1", None, "https://e.kz/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/1"),
        ("https://e.kz/%d0%bd", None, "https://e.kz/%D0%BD"),
        # Fragments go, except "#!" routes that name the article on old JavaScript sites.
        ("https://e.kz/#!/news/5", None, "https://e.kz/#!/news/5"),
        ("//cdn.e.kz/a", "https://e.kz/feed", "https://cdn.e.kz/a"),
    ],
)
def test_canonical_url(url, base, expected):
    assert canonical_url(url, base) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Workers &amp; <b>unions</b></p>", "Workers & unions"),
        ("Заба\u00adстовка\u200b в  Актау\n", "Забастовка в Актау"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        (None, ""),
        # Scripts and styles go with their content, comments too.
        ("<script>var x = '<b>';</script>Strike<style>p { color: red }</style>", "Strike"),
        ("<!-- ad -->Strike", "Strike"),
        # Block tags separate words; inline tags do not.
        ("<p>one</p><p>two</p>three<br/>four", "one two three four"),
        ("Заба<b>стовка</b>", "Забастовка"),
        # Entities are decoded once only: a double-escaped "&amp;amp;" reads "&amp;", as in a browser.
        ("AT&amp;amp;T", "AT&amp;T"),
        ("&laquo;Казахтелеком&raquo;&nbsp;&#8212; &#x41a;", "«Казахтелеком» — К"),
        # Zero-width, bidi and BOM characters hide inside words; control characters too.
        ("\ufeffNews\u200d\u2060 \u202eflip\x07", "News flip"),
        ("1 < 2", "1 < 2"),
    ],
)
def test_plain_text(raw, expected):
    assert plain_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("History of the <blink> tag", "History of the <blink> tag"),
        ("Use &amp; in HTML", "Use &amp; in HTML"),
        ("  two\tlines\r\nhere\u00a0", "two lines here"),
        ("", ""),
    ],
)
def test_clean_text_leaves_plain_text_markup_alone(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, NOW, id="missing: fetch time"),
        pytest.param(datetime(2026, 11, 26, 8, 0, tzinfo=timezone(timedelta(hours=5))),
                     datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc), id="Almaty time becomes UTC"),
        pytest.param(datetime(2026, 11, 26, 8, 0), datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc),
                     id="no zone: taken as UTC"),
        pytest.param(NOW + timedelta(hours=23), NOW + timedelta(hours=23), id="less than a day ahead: kept"),
        pytest.param(NOW + timedelta(days=1, seconds=1), NOW, id="more than a day ahead: fetch time"),
        pytest.param(datetime(1994, 12, 31, tzinfo=timezone.utc), NOW, id="before 1995: fetch time"),
        pytest.param(datetime(1995, 1, 1, tzinfo=timezone.utc), datetime(1995, 1, 1, tzinfo=timezone.utc),
                     id="1995 exactly: kept"),
    ],
)
def test_published_time(value, expected):
    result = published_time(value, NOW)
    assert result == expected and result.utcoffset() == timedelta(0)
