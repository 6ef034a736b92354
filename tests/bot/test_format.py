"""Alert messages: escaped HTML, never over 4096 characters, the link never cut."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.format import MAX_MESSAGE, alert_html, alert_plain, digest_parts
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


def test_a_digest_lists_headline_source_and_link_all_escaped():
    alerts = [alert("Strike & <lockout>", url='https://example.kz/a?x=1&y="2"', source="<Vlast>"),
              alert("Second strike")]
    [part] = digest_parts(alerts, "Digest: 2 alerts & more")
    assert part.alerts == tuple(alerts)
    assert part.html.split("\n") == [
        "📰 <b>Digest: 2 alerts &amp; more</b>",
        '• <a href="https://example.kz/a?x=1&amp;y=&quot;2&quot;">Strike &amp; &lt;lockout&gt;</a> — &lt;Vlast&gt;',
        '• <a href="https://example.kz/a?x=1&amp;y=2">Second strike</a> — Vlast.kz',
    ]
    assert part.plain.split("\n") == [
        "📰 Digest: 2 alerts & more",
        "• Strike & <lockout> — <Vlast>", 'https://example.kz/a?x=1&y="2"',
        "• Second strike — Vlast.kz", "https://example.kz/a?x=1&y=2",
    ]


def test_a_long_digest_is_split_into_numbered_messages_and_keeps_every_alert():
    alerts = [alert(f"{n} " + "&" * 400, url=f"https://example.kz/{n}/" + "p" * 300) for n in range(40)]
    parts = digest_parts(alerts, "Digest: 40 alerts")
    assert len(parts) > 1
    assert [a for part in parts for a in part.alerts] == alerts
    for n, part in enumerate(parts, start=1):
        assert len(part.html) <= MAX_MESSAGE and len(part.plain) <= MAX_MESSAGE
        assert part.html.startswith(f"📰 <b>Digest: 40 alerts</b> ({n}/{len(parts)})\n")
        assert part.html.count("<a href=") == len(part.alerts) and "&am…" not in part.html


def test_a_link_too_long_for_any_message_leaves_the_headline_alone():
    [part] = digest_parts([alert("Strike", url="https://example.kz/" + "p" * 5000)], "Digest: 1 alert")
    assert len(part.html) <= MAX_MESSAGE and len(part.plain) <= MAX_MESSAGE
    assert part.html.endswith("\n• Strike — Vlast.kz")


def test_an_empty_digest_has_no_messages():
    assert digest_parts([], "Digest: 0 alerts") == []
