"""Alert messages: Telegram HTML with every scraped string escaped, within 4096 characters.

    🔔 <b>Strikes &amp; walkouts</b>          the topic
    <b>Oil workers strike in Aktau</b>        the headline
    Vlast.kz, Orda.kz · 27.11.2026 17:00      every source that brought it, local time
    … went on <b>strike</b> on Monday …       the snippet, matched words in bold
    https://vlast.kz/…                        the link

When it is too long the snippet gives way first, then the headline; the link is never cut.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from monitor.store.outbox import PendingAlert

MAX_MESSAGE = 4096
MAX_TITLE = 600
MAX_SOURCES = 300
DEFAULT_ZONE = ZoneInfo("Asia/Almaty")


def alert_html(alert: PendingAlert, topic_title: str, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    head = f"🔔 <b>{escape(topic_title[:200])}</b>\n"
    byline = f"\n{_fit(_byline(alert, zone), MAX_SOURCES)}"
    tail = f"\n{escape(alert.url)}"
    # The link is never cut; with an absurdly long one the headline shrinks to what is left.
    title_room = min(MAX_TITLE, MAX_MESSAGE - len(head) - len(byline) - len(tail) - len("<b></b>"))
    title = f"<b>{_fit(alert.title or alert.url, title_room)}</b>"
    room = MAX_MESSAGE - len(head) - len(title) - len(byline) - len(tail) - 1
    snippet = _marked(alert.snippet or "", alert.snippet_marks, room)
    return f"{head}{title}{byline}" + (f"\n{snippet}" if snippet else "") + tail


def alert_plain(alert: PendingAlert, topic_title: str, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    """The same alert without markup, for when Telegram rejects our HTML."""
    head = f"🔔 {topic_title[:200]}\n"
    byline = f"\n{_cut(_byline(alert, zone), MAX_SOURCES)}"
    tail = f"\n{alert.url}"
    title = _cut(alert.title or alert.url, MAX_TITLE)
    room = MAX_MESSAGE - len(head) - len(title) - len(byline) - len(tail) - 1
    snippet = _cut(alert.snippet or "", room) if room > 1 else ""
    return head + title + byline + (f"\n{snippet}" if snippet else "") + tail


def local_time(when: datetime, zone: ZoneInfo) -> str:
    """27.11.2026 17:00 — how people in Kazakhstan and Russia write a date and time."""
    return when.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def _byline(alert: PendingAlert, zone: ZoneInfo) -> str:
    """The sources and the article's local time (published, else when Dozor found it), unescaped."""
    names = ", ".join(name[:200] for name in alert.sources or (alert.source_name,))
    when = alert.published_at or alert.fetched_at
    return f"{names} · {local_time(when, zone)}" if when else names


def event_html(message: str) -> str:
    """An operator notice (a source paused or silent) for the admins."""
    return f"⚠️ <b>Dozor operator notice</b>\n{escape(message[: MAX_MESSAGE - 100])}"


def _marked(text: str, marks: tuple[tuple[int, int], ...], room: int) -> str:
    """`text` escaped with its marks in <b>, cut (whole characters, whole tags) to fit `room`."""
    out: list[str] = []
    used = 0
    position = 0
    pieces: list[tuple[str, bool]] = []
    for start, end in marks:
        if start < position or end > len(text):
            continue
        pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    pieces.append((text[position:], False))
    for piece, bold in pieces:
        wrap = 7 if bold else 0  # <b></b>
        escaped = escape(piece)
        if used + len(escaped) + wrap + 1 > room:  # +1 keeps space for the ellipsis
            fitted = _fit(piece, room - used - wrap) if room - used - wrap > 1 else ""
            if fitted:
                out.append(f"<b>{fitted}</b>" if bold else fitted)
            elif out:
                out.append("…")
            break
        out.append(f"<b>{escaped}</b>" if bold and piece else escaped)
        used += len(escaped) + wrap
    return "".join(out)


def _fit(text: str, room: int) -> str:
    """Escape `text`, cutting it (before escaping, so no entity is split) to fit `room`."""
    escaped = escape(text)
    if len(escaped) <= room:
        return escaped
    cut = min(len(text), room)
    while cut > 0 and len(escape(text[:cut])) + 1 > room:
        cut -= max(1, (len(escape(text[:cut])) + 1 - room) // 6)
    return escape(text[:cut]) + "…" if cut > 0 else ""


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"
