"""Page bytes → main text: real news pages from trafilatura's evaluation set, and our own.

Each row of `expected_trafilatura.jsonl` (adbar/trafilatura's tests/evaldata.json) and of our
`expected_ours.jsonl` names a page and the snippets its main text must and must not contain; every
snippet is one test case, so a report names the exact snippet. The snippets that trafilatura
cannot deliver with any options are listed in KNOWN_GAPS with the reason, as strict xfails:
if one starts passing, the suite says so.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from monitor.extract import MAX_HTML_BYTES, Extracted, decode_html, extract_article

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
META_1251 = '<meta charset="windows-1251"><p>Забастовка</p>'

KNOWN_GAPS = {
    ("trafilatura/salon.com.emissions.html", "This post originally"): (
        "'This post originally appeared on Grist.' is a <p class=editors_note> in a <section> "
        "after the <article>; trafilatura leaves it out in precision, balanced and recall modes. "
        "The line only says where the story first ran."
    ),
    (
        "trafilatura/wikimediafoundation.org.turkey.html",
        "Bu yazının Türkçe’sini buradan okuyabilirsiniz",
    ): (
        "The sentence is a link-only <h3> in the title block above the <article> (a pointer to the "
        "Turkish version); trafilatura leaves it out in every mode, and Dozor's own link-only rule "
        "drops such blocks on purpose: a link to another page is not this story's text."
    ),
}


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (PAGES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


CORPUS = _rows("expected_trafilatura.jsonl")
OURS = _rows("expected_ours.jsonl")


@cache
def _extract(file: str, url: str, headers: tuple[tuple[str, str], ...]) -> Extracted | None:
    return extract_article((PAGES / file).read_bytes(), url, dict(headers), now=NOW)


def extracted(row: dict[str, Any]) -> Extracted | None:
    return _extract(row["file"], row["url"], tuple(row.get("headers", {}).items()))


def snippet_cases() -> list[Any]:
    cases = []
    for row in CORPUS + OURS:
        checks = [("contains", s) for s in row["must_contain"]]
        checks += [("lacks", s) for s in row["must_not_contain"]]
        checks += [("lacks", s) for s in row.get("comments_must_not_be_in_main_text", [])]
        for kind, snippet in checks:
            reason = KNOWN_GAPS.get((row["file"], snippet))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            headers = ",".join(row.get("headers", {}).values()) or "no headers"
            case_id = f"{Path(row['file']).stem}[{headers}]-{kind}-{snippet[:40]!r}"
            cases.append(pytest.param(row, kind, snippet, marks=marks, id=case_id))
    return cases


def test_every_known_gap_names_a_snippet_of_the_corpus():
    snippets = {(row["file"], s) for row in CORPUS for s in row["must_contain"] + row["must_not_contain"]}
    assert set(KNOWN_GAPS) <= snippets


@pytest.mark.parametrize(("row", "kind", "snippet"), snippet_cases())
def test_main_text_keeps_the_story_and_drops_the_boilerplate(row, kind, snippet):
    result = extracted(row)
    assert result is not None, f"nothing extracted from {row['file']}"
    if kind == "contains":
        assert snippet in result.text, f"{row['file']}: main text lost {snippet!r}"
    else:
        assert snippet not in result.text, f"{row['file']}: {snippet!r} is in the main text"


def _stem(row: dict[str, Any]) -> str:
    return Path(row["file"]).stem


@pytest.mark.parametrize("row", [r for r in CORPUS if r.get("date")], ids=_stem)
def test_publication_day_matches_the_corpus(row):
    result = extracted(row)
    assert result is not None and result.published_at is not None
    assert result.published_at.tzinfo is timezone.utc
    assert result.published_at.date().isoformat() == row["date"]


@pytest.mark.parametrize("row", OURS, ids=lambda r: r["description"][:50])
def test_title_language_and_time_of_our_pages(row):
    result = extracted(row)
    assert result is not None
    assert result.title == row["title"]
    assert result.language == row["language"]
    expected = row["published_at"] and datetime.fromisoformat(row["published_at"])
    assert result.published_at == expected


def test_a_full_timestamp_in_the_page_beats_the_day_in_the_url():
    page = (PAGES / "ours" / "strike_caption_sidebar.html").read_bytes()
    result = extract_article(page, "https://example.kz/news/2026/11/26/strike", {}, now=NOW)
    assert result is not None
    assert result.published_at == datetime(2026, 11, 26, 3, 15, tzinfo=timezone.utc)


def test_a_page_extracted_twice_gives_the_same_text():
    # trafilatura's `deduplicate=True` shares a cache across calls: a second run would lose text.
    page = (PAGES / "trafilatura" / "bbc.com.52241221.html").read_bytes()
    url = "https://www.bbc.com/news/world-us-canada-52241221"
    first = extract_article(page, url, {}, now=NOW)
    assert first is not None
    for _ in range(3):
        assert extract_article(page, url, {}, now=NOW) == first


def test_text_is_one_paragraph_per_line_with_spaces_collapsed():
    for row in CORPUS + OURS:
        result = extracted(row)
        assert result is not None
        for line in result.text.split("\n"):
            assert line and line == " ".join(line.split()), f"{row['file']}: {line!r}"


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        # The HTTP charset wins over the page's <meta> (HTML Living Standard, 13.2.3.2).
        (META_1251.encode("koi8-r"), "text/html; charset=KOI8-R", "Забастовка"),
        (META_1251.encode("cp1251"), "text/html", "Забастовка"),
        ("<p>Ереуіл</p>".encode("utf-8"), None, "Ереуіл"),
        # A byte order mark wins over everything.
        (b"\xef\xbb\xbf" + "<p>Ереуіл</p>".encode(), "text/html; charset=windows-1251", "Ереуіл"),
    ],
    ids=["http-charset-beats-meta", "meta-charset", "undeclared-utf8", "bom-beats-http"],
)
def test_charset_precedence(body, content_type, expected):
    assert expected in decode_html(body, content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \r\n\t ",
        b"\x00" * 4096,
        bytes(range(256)) * 64,
        b"\x89PNG\r\n\x1a\n" + b"\x00\x10IHDR" * 100,
        b"\x1f\x8b\x08\x00" + b"\xff" * 2000,  # a gzip header with garbage after it
        b"just some words, no markup at all",
        b"<html></html>",
        b"<html><head><title>Only a title</title></head><body></body></html>",
        b"<html><body>" + b"<div>" * 20000 + b"deep" + b"</div>" * 20000 + b"</body></html>",
        b"<html><body><script>" + b"var strike = 1;" * 1000 + b"</script></body></html>",
        b'<?xml version="1.0"?><rss><channel><title>A feed</title></channel></rss>',
    ],
    ids=["empty", "whitespace", "nul-bytes", "all-bytes", "png", "gzip-garbage", "plain-text",
         "empty-html", "title-only", "20000-nested-divs", "script-only", "rss-feed"],
)
def test_garbage_and_empty_pages_give_none(body):
    assert extract_article(body, "https://example.kz/news/1", {}, now=NOW) is None


def test_a_page_over_the_size_limit_is_not_read():
    story = (PAGES / "ours" / "strike_caption_sidebar.html").read_bytes()
    padded = story + b" " * (MAX_HTML_BYTES + 1 - len(story))
    assert extract_article(padded, "https://example.kz/news/1", {}, now=NOW) is None


@pytest.mark.parametrize("row", CORPUS, ids=_stem)
def test_a_page_cut_off_mid_download_does_not_raise(row):
    page = (PAGES / row["file"]).read_bytes()
    for cut in (len(page) // 10, len(page) // 2):
        result = extract_article(page[:cut], row["url"], {}, now=NOW)
        assert result is None or result.text
