"""Alert messages: Telegram HTML with every scraped string escaped, within 4096 characters.

    🔔 <b>Strikes &amp; walkouts</b>          the topic
    <b>Oil workers strike in Aktau</b>        the headline
    Vlast.kz, Orda.kz · 27.11.2026 17:00      every source that brought it, local time
    … went on <b>strike</b> on Monday …       the snippet, matched words in bold
    https://vlast.kz/…                        the link

When it is too long the snippet gives way first, then the headline; the link is never cut.

A digest is a short list, one alert a line, split over as many messages as it takes:

    📰 <b>Digest: 12 alerts</b> (1/2)
    • <a href="https://vlast.kz/…">Oil workers strike in Aktau</a> — Vlast.kz
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from monitor.store.outbox import PendingAlert

MAX_MESSAGE = 4096
MAX_TITLE = 600
MAX_SOURCES = 300
DEFAULT_ZONE = ZoneInfo("Asia/Almaty")
MAX_DIGEST_TITLE = 300
MAX_DIGEST_SOURCES = 100


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


@dataclass(frozen=True)
class DigestPart:
    """One message of a digest and the alerts it carries."""

    alerts: tuple[PendingAlert, ...]
    html: str
    plain: str  # the same lines without markup, for when Telegram rejects the HTML


def digest_parts(alerts: Sequence[PendingAlert], heading: str) -> list[DigestPart]:
    """`alerts` as a list under `heading` (already translated), in as many messages of at most
    4096 characters as it takes; every alert is in exactly one of them."""
    # Room for the longest heading any part gets, "(999/999)" included.
    room = MAX_MESSAGE - len(_digest_heading(heading, 999, 999)) - 1
    groups: list[list[tuple[PendingAlert, str, str]]] = [[]]
    used = 0
    for alert in alerts:
        html, plain = _digest_line_html(alert, room), _digest_line_plain(alert, room)
        if groups[-1] and used + 1 + len(html) > room:
            groups.append([])
            used = 0
        groups[-1].append((alert, html, plain))
        used += 1 + len(html)
    parts = len(groups)
    return [
        DigestPart(
            alerts=tuple(alert for alert, _, _ in group),
            html="\n".join([_digest_heading(heading, n, parts), *(html for _, html, _ in group)]),
            plain="\n".join([_digest_heading(heading, n, parts, plain=True), *(plain for _, _, plain in group)]),
        )
        for n, group in enumerate(groups, start=1)
        if group
    ]


def _digest_heading(heading: str, part: int, parts: int, *, plain: bool = False) -> str:
    counter = f" ({part}/{parts})" if parts > 1 else ""
    return f"📰 {heading[:200]}{counter}" if plain else f"📰 <b>{escape(heading[:200])}</b>{counter}"


def _digest_line_html(alert: PendingAlert, room: int) -> str:
    """• <a href="link">headline</a> — sources; the headline shrinks before the link is dropped."""
    source = _fit(", ".join(alert.sources or (alert.source_name,)), MAX_DIGEST_SOURCES)
    href = escape(alert.url, quote=True)
    frame = len(f'• <a href="{href}"></a> — {source}')
    title = _fit(alert.title or alert.url, min(MAX_DIGEST_TITLE, room - frame))
    if not title:  # a link too long for a message: the headline alone, unlinked
        return f"• {_fit(alert.title or alert.url, min(MAX_DIGEST_TITLE, room - len(source) - 5))} — {source}"
    return f'• <a href="{href}">{title}</a> — {source}'


def _digest_line_plain(alert: PendingAlert, room: int) -> str:
    source = _cut(", ".join(alert.sources or (alert.source_name,)), MAX_DIGEST_SOURCES)
    return _cut(f"• {_cut(alert.title or alert.url, MAX_DIGEST_TITLE)} — {source}\n{alert.url}", room)


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
