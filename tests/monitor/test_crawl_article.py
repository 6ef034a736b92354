"""Article pages of crawled sources: the `article:` selectors where given, trafilatura for the rest;
captions and sidebars that mention a topic word never reach the text (tests/fixtures/site)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.crawl_article import parse_time, read_article
from monitor.crawl_config import ArticleSelectors

SITE = Path(__file__).parents[1] / "fixtures" / "site"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
HTML = {"content-type": "text/html; charset=utf-8"}
SELECTORS = ArticleSelectors(title="h1::text", text="div.article-body", published="time::attr(datetime)")


def page(name: str) -> bytes:
    return (SITE / name).read_bytes()


@pytest.mark.parametrize("selectors", [SELECTORS, None], ids=["selectors", "trafilatura"])
def test_a_caption_and_a_sidebar_mentioning_strike_stay_out_of_the_text(selectors):
    article = read_article(page("articles/budget-caption.html"), "https://e.kz/b", HTML, selectors, NOW)
    assert "twenty-one deputies voting in favour" in article.text
    assert "public transport" in article.text
    assert "strike" not in article.text.lower()
    assert article.title == "Regional budget passes second reading"
    assert article.published_at == datetime(2026, 11, 25, 11, 40, tzinfo=timezone.utc)
    assert article.language == "en"


def test_selectors_win_and_trafilatura_fills_in_the_rest():
    only_text = ArticleSelectors(text="div.article-body p:first-child")
    article = read_article(page("articles/strike.html"), "https://e.kz/s", HTML, only_text, NOW)
    assert article.text.startswith("More than four hundred workers") and "\n" not in article.text
    assert article.title == "Workers at the Aktau plant walk out"  # trafilatura's
    assert article.published_at == datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)


def test_a_text_selector_that_finds_nothing_gives_empty_text_not_trafilaturas():
    rotten = ArticleSelectors(text="div.story-content")
    article = read_article(page("articles/strike.html"), "https://e.kz/s", HTML, rotten, NOW)
    assert article.text == "" and article.title == "Workers at the Aktau plant walk out"


def test_an_empty_page_reads_as_nothing():
    assert read_article(b"  ", "https://e.kz/x", {}, None, NOW).text == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T08:15:00+05:00", datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)),
        ("2026-11-26T03:15:00Z", datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)),
        ("2026-11-26", datetime(2026, 11, 26, tzinfo=timezone.utc)),
        ("Thu, 26 Nov 2026 03:15:00 GMT", datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)),
        ("26 ноября", None),
        ("", None),
    ],
)
def test_times_from_pages(value, expected):
    assert parse_time(value) == expected
