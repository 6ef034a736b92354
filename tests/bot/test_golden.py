"""Golden tests: the exact alert message, pinned in files under golden/.

Two sets:
- every feedparser sanitize fixture (`<script>`, `onload=`, `<blink>`, `&`, …) parsed with
  `parse_feed` and turned into an alert: golden/sanitize/<fixture>.html;
- hand-written cases whose inputs are data too: golden/cases.json → golden/cases/<name>.html.

The fixtures' entries have no link (feedparser only checks sanitising), so one is added to each
(`with_link`); the feed-title fixtures get an entry, and their hostile feed title becomes the
source name, as `sources.name` often is. After a deliberate format change, regenerate with
`DOZOR_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/bot/test_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.format import alert_html, alert_plain
from monitor.parse import parse_feed
from monitor.store.outbox import PendingAlert
from tests.support.telegram_html import visible_text

GOLDEN = Path(__file__).parent / "golden"
SANITIZE = Path(__file__).parents[1] / "fixtures/feeds/feedparser/wellformed/sanitize"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
LINK = "https://example.org/news?id=1&amp;lang=ru"  # as written in XML
UPDATE = os.environ.get("DOZOR_UPDATE_GOLDEN") == "1"


def with_link(xml: str) -> str:
    """The fixture with a link on its first entry (or an entry added, for feed-level fixtures)."""
    if "<entry>" in xml:
        return xml.replace("<entry>", f'<entry><link rel="alternate" type="text/html" href="{LINK}"/>', 1)
    if "<item>" in xml:
        return xml.replace("<item>", f"<item><link>{LINK}</link>", 1)
    entry = f'<entry><title>Strike at the plant</title><link rel="alternate" type="text/html" href="{LINK}"/></entry>'
    return xml.replace("</feed>", f"{entry}</feed>", 1)


def compare(html: str, golden: Path) -> None:
    visible_text(html)  # Telegram would accept it: raises on a stray '<' or '&'
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(html, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}; create it with DOZOR_UPDATE_GOLDEN=1"
    assert html == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fixture", sorted(SANITIZE.glob("*.xml")), ids=lambda p: p.stem)
def test_hostile_feed_fixtures_make_the_pinned_alert(fixture: Path):
    parsed = parse_feed(with_link(fixture.read_text(encoding="utf-8")).encode(),
                        "https://example.org/feed.xml", {}, NOW)
    [item] = parsed.items
    summary = item.summary
    marks = ((summary.index("description"), summary.index("description") + 11),) if "description" in summary else ()
    alert = PendingAlert(1, 42, 0, NOW, "strikes", ("strike",), item.title, item.url,
                         parsed.title or "Vlast.kz", item.published_at, summary or None, marks,
                         fetched_at=NOW, sources=(parsed.title or "Vlast.kz", "Orda.kz"))
    compare(alert_html(alert, "Strikes & walkouts"), GOLDEN / "sanitize" / f"{fixture.stem}.html")


CASES = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_written_cases_make_the_pinned_alert(name: str):
    case = CASES[name]
    published = datetime.fromisoformat(case["published_at"]) if case.get("published_at") else None
    alert = PendingAlert(
        1, 42, 0, NOW, "strikes", ("strike",), case["title"], case["url"], case["sources"][0], published,
        case.get("snippet"), tuple(tuple(mark) for mark in case.get("marks", [])),
        fetched_at=datetime.fromisoformat(case["fetched_at"]), sources=tuple(case["sources"]),
    )
    zone = ZoneInfo(case.get("timezone", "Asia/Almaty"))
    compare(alert_html(alert, case["topic"], zone), GOLDEN / "cases" / f"{name}.html")
    if UPDATE:
        (GOLDEN / "cases" / f"{name}.txt").write_text(alert_plain(alert, case["topic"], zone), encoding="utf-8")
    assert alert_plain(alert, case["topic"], zone) == (GOLDEN / "cases" / f"{name}.txt").read_text(encoding="utf-8")
