"""Feed bytes → items: the format dispatcher, encodings, and every fixture feed we hold."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.format import alert_html
from monitor.charset import codec_name
from monitor.config import TopicConfig
from monitor.match import Matcher
from monitor.parse import parse_feed
from monitor.store.outbox import PendingAlert

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
URL = "https://example.kz/rss"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Outlet</title><language>ru</language>
<item><title>Workers &amp;amp; <b>strike</b></title><link>/news/1?utm_source=rss</link>
<guid isPermaLink="false">n-1</guid><description>&lt;p&gt;Text&lt;/p&gt;</description>
<pubDate>Thu, 26 Nov 2026 08:00:00 +0500</pubDate></item>
<item><title>No date</title><link>https://example.kz/news/2</link></item>
<item><title>From the future</title><link>https://example.kz/news/3</link><pubDate>Mon, 01 Jan 2120 00:00:00 GMT</pubDate></item>
<item><title>No link and no URL guid</title><guid isPermaLink="false">x</guid></item>
</channel></rss>"""


def rss(*items: str, channel: str = "") -> bytes:
    return f'<rss version="2.0"><channel><title>T</title>{channel}{"".join(items)}</channel></rss>'.encode()


def test_rss_items_are_normalised():
    parsed = parse_feed(RSS, URL, {"content-type": "application/rss+xml"}, NOW)
    first, no_date, future = parsed.items
    assert first.url == "https://example.kz/news/1"
    assert first.guid == "n-1"
    assert first.title == "Workers & strike"
    assert first.summary == "Text"
    assert first.published_at == datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)
    assert first.language == "ru"
    assert no_date.published_at == NOW and future.published_at == NOW
    assert parsed.title == "Outlet" and parsed.problem is None
    assert parsed.format == "rss20" and parsed.skipped == 1


def test_windows_1251_declared_only_in_http_headers_reads_as_cyrillic():
    body = '<?xml version="1.0"?><rss version="2.0"><channel><title>Лента</title><item><title>Забастовка в Актау</title><link>https://e.kz/1</link></item></channel></rss>'.encode("cp1251")
    parsed = parse_feed(body, "https://e.kz/rss", {"content-type": "text/xml; charset=windows-1251"}, NOW)
    assert parsed.items[0].title == "Забастовка в Актау"


# ----------------------------------------------------------------- the dispatcher

JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "Лента", "language": "ru-KZ",
    "items": [{"id": "1", "url": "https://e.kz/a?fbclid=x", "title": "Забастовка",
               "date_published": "2026-11-26T08:00:00+05:00"}],
}).encode()
ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Strike</title><link href="https://e.kz/atom/1"/><id>urn:1</id></entry></feed>"""


@pytest.mark.parametrize(
    ("body", "content_type", "expected_format"),
    [
        pytest.param(JSON_FEED, "application/feed+json", "json1.1", id="JSON Feed by its media type"),
        pytest.param(JSON_FEED, "application/json; charset=utf-8", "json1.1", id="JSON Feed as application/json"),
        pytest.param(JSON_FEED, "application/octet-stream", "json1.1", id="JSON Feed by its version URL only"),
        pytest.param(b"\xef\xbb\xbf\n  " + JSON_FEED, "", "json1.1", id="JSON Feed after a BOM and blank lines"),
        pytest.param(rss("<item><title>x</title><link>https://e.kz/1</link></item>"), "application/json",
                     "rss20", id="RSS mislabelled as JSON goes to feedparser"),
        pytest.param(ATOM, "application/atom+xml", "atom10", id="Atom 1.0"),
    ],
)
def test_the_format_is_detected_and_dispatched(body, content_type, expected_format):
    parsed = parse_feed(body, URL, {"Content-Type": content_type}, NOW)
    assert parsed.problem is None
    assert parsed.format == expected_format
    assert len(parsed.items) == 1


def test_json_feed_items_are_normalised_like_xml_ones():
    item = parse_feed(JSON_FEED, URL, {"content-type": "application/feed+json"}, NOW).items[0]
    assert item.url == "https://e.kz/a"
    assert item.title == "Забастовка" and item.language == "ru"
    assert item.published_at == datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        pytest.param(b"\x00\x01 not a feed <<<", "", "not an RSS, Atom or JSON feed", id="garbage"),
        pytest.param(b"", "application/rss+xml", "empty", id="empty body"),
        pytest.param(b"<!DOCTYPE html><html><head><title>News</title></head><body>x</body></html>",
                     "text/html", "HTML page", id="an HTML page instead of the feed"),
        pytest.param(b'{"error": "rate limited"}', "application/json", 'no "items" list', id="JSON that is no feed"),
        pytest.param(b'{"version": "https://jsonfeed.org/version/1", "items": [', "application/feed+json",
                     "not valid JSON", id="truncated JSON Feed"),
    ],
)
def test_what_is_not_a_feed_is_reported_not_raised(body, content_type, reason):
    parsed = parse_feed(body, URL, {"content-type": content_type}, NOW)
    assert parsed.items == []
    assert parsed.problem and reason in parsed.problem


def test_a_valid_feed_with_no_items_is_not_a_problem():
    parsed = parse_feed(rss(), URL, {"content-type": "application/rss+xml"}, NOW)
    assert parsed.problem is None and parsed.items == [] and parsed.title == "T"


@pytest.mark.parametrize(
    ("item", "expected_url"),
    [
        pytest.param("<item><title>x</title><link>javascript:alert(1)</link></item>", None, id="javascript: link dropped"),
        pytest.param("<item><title>x</title><link>mailto:a@e.kz</link></item>", None, id="mailto: link dropped"),
        pytest.param("<item><title>x</title><guid>https://e.kz/guid</guid></item>", "https://e.kz/guid", id="URL guid stands in for the link"),
        pytest.param("<item><title>x</title><link>news/5#top</link></item>", "https://example.kz/news/5", id="relative link resolved"),
    ],
)
def test_only_items_with_a_web_link_are_kept(item, expected_url):
    parsed = parse_feed(rss(item), URL, {}, NOW)
    assert [i.url for i in parsed.items] == ([expected_url] if expected_url else [])
    assert parsed.skipped == (0 if expected_url else 1)


@pytest.mark.parametrize(
    ("channel", "item", "expected"),
    [
        pytest.param("<language>ru-RU</language>", "<title>Strike in Aktau</title>", "ru", id="feed declares ru-RU"),
        pytest.param("<language>kz</language>", "<title>Ереуіл</title>", "kk", id="feed says kz, meaning Kazakh"),
        pytest.param("", "<title>Мұнайшылар ереуілге шықты</title>", "kk", id="undeclared Kazakh guessed"),
        pytest.param("", "<title>Рабочие вышли на забастовку</title>", "ru", id="undeclared Russian guessed"),
        pytest.param("", "<title>Oil workers go on strike in the west of the country</title>", "en", id="undeclared English guessed"),
        pytest.param("", "<title>Tengiz 2026</title>", None, id="too little to guess"),
    ],
)
def test_language_is_declared_or_guessed(channel, item, expected):
    parsed = parse_feed(rss(f"<item>{item}<link>https://e.kz/1</link></item>", channel=channel), URL, {}, NOW)
    assert parsed.items[0].language == expected


def test_an_atom_entry_language_beats_the_feed_language():
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru"><title>A</title>
    <entry xml:lang="kk-KZ"><title>x</title><link href="https://e.kz/1"/></entry>
    <entry><title>y</title><link href="https://e.kz/2"/></entry></feed>"""
    assert [i.language for i in parse_feed(body, URL, {}, NOW).items] == ["kk", "ru"]


def test_plain_text_titles_keep_their_angle_brackets():
    # Atom type="text": "<blink>" is literal text, not a tag to strip (feedparser corpus case).
    body = (FEEDS / "feedparser/wellformed/atom/entry_title_text_plain_brackets.xml").read_bytes()
    body = body.replace(b"<entry>", b'<entry><link href="http://example.org/1"/>')
    assert parse_feed(body, URL, {}, NOW).items[0].title == "History of the <blink> tag"


def test_an_entry_without_a_title_gets_the_start_of_its_summary():
    summary = "Рабочие месторождения Тенгиз вышли на забастовку. " * 5
    parsed = parse_feed(rss(f"<item><description>{summary}</description><link>https://e.kz/1</link></item>"),
                        URL, {}, NOW)
    title = parsed.items[0].title
    assert title.startswith("Рабочие месторождения Тенгиз") and title.endswith("…") and len(title) <= 121


# ----------------------------------------------------------------- our Russian feeds

RUSSIAN = json.loads((FEEDS / "russian" / "cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", RUSSIAN, ids=[c["description"] for c in RUSSIAN])
def test_russian_legacy_encodings_come_out_as_readable_text(case):
    body = (FEEDS / "russian" / case["file"]).read_bytes()
    parsed = parse_feed(body, URL, case["headers"], NOW)
    assert [item.title for item in parsed.items] == case["titles"], f"decoded as {parsed.encoding}"
    if "encoding" in case:
        assert codec_name(parsed.encoding) == codec_name(case["encoding"])


# ----------------------------------------------------------------- every feed we hold


def _index() -> dict[str, dict[str, str]]:
    with (FEEDS / "feedparser_index.tsv").open(encoding="utf-8") as index:
        return {f"feedparser/{row['path']}": row for row in csv.DictReader(index, delimiter="\t")}


INDEX = _index()
_NOT_FEEDS = {"feedparser_index.tsv", "cases.json", "README.md"}
CORPUS = sorted(
    str(path.relative_to(FEEDS)) for path in FEEDS.rglob("*") if path.is_file() and path.name not in _NOT_FEEDS
)


def _headers(simulated: str) -> dict[str, str]:
    """The index's simulated headers: "Name: value" pairs, several joined by "|"."""
    headers = {}
    for part in filter(None, simulated.split("|")):
        key, _, value = part.partition(":")
        headers[key.strip().lower()] = value.strip()
    return headers


def test_the_corpus_holds_every_indexed_feed_and_the_json_feeds():
    assert set(INDEX) <= set(CORPUS)
    assert {"npr_jsonfeed.json", "feedparser/json/example.json"} <= set(CORPUS)


@pytest.mark.timeout(5)
@pytest.mark.parametrize("path", CORPUS)
def test_every_feed_goes_through_parse_match_and_format(path):
    headers = _headers(INDEX[path]["http_headers_simulated"]) if path in INDEX else {}
    if path.endswith(".json") and not headers:
        headers = {"content-type": "application/json"}  # as `dozor parse` and a web server would say
    parsed = parse_feed((FEEDS / path).read_bytes(), "http://example.org/feed", headers, NOW)
    matcher = Matcher([TopicConfig(id="t", any=["example", "script"])])
    for item in parsed.items:
        matcher.match(item.title, item.summary)
        assert item.url.startswith(("http://", "https://"))
        assert item.published_at.tzinfo is not None
        assert item.language is None or re.fullmatch("[a-z]{2,3}", item.language)
        assert not re.search("[\u00ad\u200b-\u200f\ufeff\x00-\x1f]", item.title + item.summary)
        html = alert_html(PendingAlert(1, 1, 0, NOW, "t", (), item.title, item.url, "src", None), "Topic")
        # Only our own tags survive: every scraped '<' arrives escaped.
        assert html.replace("<b>", "").replace("</b>", "").count("<") == 0


def test_json_feeds_in_the_corpus_are_read():
    npr = parse_feed((FEEDS / "npr_jsonfeed.json").read_bytes(), "https://feeds.npr.org/1019/feed.json", {}, NOW)
    assert npr.format == "json1" and npr.title == "Technology" and len(npr.items) == 25
    first = npr.items[0]
    assert first.url == "https://www.npr.org/2021/10/29/1050315385/keller-rinaudo-how-can-delivery-drones-save-lives"
    assert first.guid == "1050315385" and first.language == "en"
    assert first.published_at == datetime(2021, 10, 29, 14, 26, tzinfo=timezone.utc)  # 10:26-04:00
    assert first.summary.startswith("In rural areas, basic health care")
    example = parse_feed((FEEDS / "feedparser/json/example.json").read_bytes(), "https://example.org/feed.json",
                         {"content-type": "application/feed+json"}, NOW)
    # The corpus's own expectation: feed.title == 'My Example Feed' and len(entries) == 2.
    assert example.title == "My Example Feed" and len(example.items) == 2


# Feeds the corpus describes as having "no encoding information": the expected encoding is read
# from the index's `expect` column (as text, never evaluated) and names the script the text is in.
SCRIPTS = {
    "euc_jp": ("Japanese", "[\u3040-\u30ff\u4e00-\u9fff]"),
    "shift_jis": ("Japanese", "[\u3040-\u30ff\u4e00-\u9fff]"),
    "gb2312": ("Chinese", "[\u4e00-\u9fff]"),
    "cp1255": ("Hebrew", "[\u05d0-\u05ea]"),
}
UNDECLARED = sorted(path for path, row in INDEX.items() if "no encoding information" in row["description"])


def _expected_encoding(row: dict[str, str]) -> str:
    match = re.search(r"encoding == '([^']+)'", row["expect"])
    assert match, f"no encoding in the expectation {row['expect']!r}"
    return codec_name(match.group(1)) or match.group(1)


def _with_links(body: bytes) -> bytes:
    # These corpus feeds test decoding and have no links; Dozor drops link-less entries, so lend
    # each one a link (ASCII only, so the bytes chardet sees are unchanged in every other way).
    body = body.replace(b"<item>", b"<item><link>http://example.org/entry</link>")
    return body.replace(b"<entry>", b'<entry><link href="http://example.org/entry"/>')


def test_the_corpus_has_undeclared_encodings_to_check():
    assert len(UNDECLARED) >= 4


@pytest.mark.timeout(5)
@pytest.mark.parametrize("path", UNDECLARED)
def test_undeclared_legacy_encodings_decode_to_readable_text(path):
    encoding = _expected_encoding(INDEX[path])
    assert encoding in SCRIPTS, f"{path}: add the script that {encoding} text is written in to SCRIPTS"
    script, letters = SCRIPTS[encoding]
    parsed = parse_feed(_with_links((FEEDS / path).read_bytes()), "http://example.org/feed", {}, NOW)
    text = " ".join(f"{item.title} {item.summary}" for item in parsed.items)
    assert len(re.findall(letters, text)) >= 5, f"expected {script} text, got {text[:80]!r} ({parsed.encoding})"
    assert "\ufffd" not in text
    # Mojibake of a multi-byte encoding read as Latin-1: runs of accented capitals and symbols.
    assert not re.search("[\u00c0-\u00ff]{2,}", text), f"mojibake: {text[:80]!r}"
    assert all(unicodedata.category(ch) != "Cc" for ch in text)
