"""Alert messages: escaped HTML, never over 4096 characters, the link never cut."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.format import MAX_MESSAGE, alert_html, alert_plain
from monitor.store.outbox import PendingAlert

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def alert(title: str, url: str = "https://example.kz/a?x=1&y=2", source: str = "Vlast.kz") -> PendingAlert:
    return PendingAlert(1, 42, 0, NOW, "strikes", ("strike",), title, url, source, None)


def test_the_message_shows_topic_title_source_and_link():
    assert alert_html(alert("Workers strike in Aktau"), "Strikes & walkouts") == (
        "🔔 <b>Strikes &amp; walkouts</b>\n<b>Workers strike in Aktau</b>\n"
        "Vlast.kz\nhttps://example.kz/a?x=1&amp;y=2"
    )


def test_hostile_titles_are_escaped():
    html = alert_html(alert('<script>alert(1)</script> & <b>bold', source="<i>src"), "t")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;bold" in html and "&lt;i&gt;src" in html


def test_a_huge_title_is_cut_but_the_link_survives():
    url = "https://example.kz/" + "p" * 300
    html = alert_html(alert("&" * 10_000, url=url), "t")
    assert len(html) <= MAX_MESSAGE
    assert html.endswith(url) and "…</b>" in html
    assert "&am…" not in html  # no entity cut in half
    plain = alert_plain(alert("x" * 10_000, url=url), "t")
    assert len(plain) <= MAX_MESSAGE and plain.endswith(url)


def test_the_snippet_shows_matched_words_in_bold_and_is_escaped():
    snippet = "Workers & <staff> went on strike in Aktau."
    marks = ((snippet.index("strike"), snippet.index("strike") + 6),
             (snippet.index("Aktau"), snippet.index("Aktau") + 5))
    html = alert_html(alert_with_snippet("Title", snippet, marks), "Strikes")
    assert "Workers &amp; &lt;staff&gt; went on <b>strike</b> in <b>Aktau</b>." in html


def test_a_long_snippet_gives_way_before_the_title_and_the_link():
    snippet = ("word " * 2000) + "strike"
    marks = ((len(snippet) - 6, len(snippet)),)
    url = "https://example.kz/" + "p" * 200
    html = alert_html(alert_with_snippet("Headline", snippet, marks, url), "t")
    assert len(html) <= MAX_MESSAGE
    assert "<b>Headline</b>" in html and html.endswith(url)
    assert html.count("<b>") == html.count("</b>")


def alert_with_snippet(title, snippet, marks, url="https://example.kz/a"):
    return PendingAlert(1, 42, 0, NOW, "strikes", ("strike",), title, url, "Vlast.kz", None, snippet, marks)
