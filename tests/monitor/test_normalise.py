"""Canonical URLs and plain text from scraped strings."""

from __future__ import annotations

import pytest

from monitor.normalise import canonical_url, plain_text


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://Example.ORG/a?utm_source=tg&utm_medium=x&id=5#comments", None, "https://example.org/a?id=5"),
        ("http://example.org:80/a?fbclid=abc", None, "http://example.org/a"),
        ("https://example.org:443", None, "https://example.org/"),
        ("/news/1?gclid=1&page=2", "https://example.kz/feed", "https://example.kz/news/1?page=2"),
        ("  https://example.org/b  ", None, "https://example.org/b"),
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
    ],
)
def test_plain_text(raw, expected):
    assert plain_text(raw) == expected
