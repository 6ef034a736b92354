"""News sitemaps → entries: news:title and news:publication_date read, newest first, indexes and
gzip handled (sitemaps.org protocol; Google News sitemap extension)."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

from monitor.spiders.sitemap import read_sitemap

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://example.kz/old</loc><lastmod>2026-11-20</lastmod></url>
  <url><loc> https://example.kz/new </loc>
    <news:news><news:publication><news:name>X</news:name><news:language>ru</news:language></news:publication>
      <news:publication_date>2026-11-26T09:30:00+05:00</news:publication_date>
      <news:title>  Забастовка   в Актау </news:title></news:news></url>
  <url><loc></loc></url>
</urlset>""".encode()
INDEX = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://example.kz/sitemap-1.xml</loc><lastmod>2026-11-01</lastmod></sitemap>
  <sitemap><loc>https://example.kz/sitemap-2.xml</loc><lastmod>2026-11-26</lastmod></sitemap>
</sitemapindex>"""


def test_news_fields_are_read_and_entries_come_newest_first():
    sitemap = read_sitemap(NEWS)
    assert sitemap.problem is None
    assert [(e.url, e.title, e.published_at) for e in sitemap.entries] == [
        ("https://example.kz/new", "Забастовка в Актау", datetime(2026, 11, 26, 4, 30, tzinfo=timezone.utc)),
        ("https://example.kz/old", None, datetime(2026, 11, 20, tzinfo=timezone.utc)),
    ]


def test_an_index_lists_its_sitemaps_newest_first():
    assert read_sitemap(INDEX).sitemaps == ["https://example.kz/sitemap-2.xml", "https://example.kz/sitemap-1.xml"]


def test_a_gzipped_sitemap_is_unpacked_within_the_size_limit():
    packed = gzip.compress(NEWS)
    assert len(read_sitemap(packed, max_size=10_000).entries) == 2
    assert "cannot unpack" in (read_sitemap(packed, max_size=100).problem or "")


def test_a_page_that_is_not_a_sitemap_says_so():
    assert read_sitemap(b"<html><body>Not found</body></html>").problem == (
        "not a sitemap (no <urlset> or <sitemapindex>)")
    assert read_sitemap(b"").problem


def test_entities_are_not_expanded():
    hostile = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://e.kz/&x;</loc></url></urlset>"""
    assert all("root:" not in e.url for e in read_sitemap(hostile).entries)
