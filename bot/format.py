"""Alert messages: Telegram HTML with every scraped string escaped, within 4096 characters."""

from __future__ import annotations

from html import escape

from monitor.store.outbox import PendingAlert

MAX_MESSAGE = 4096


def alert_html(alert: PendingAlert, topic_title: str) -> str:
    """The alert as HTML. The link is never cut: the title gives way if the message is too long."""
    head = f"🔔 <b>{escape(topic_title)}</b>\n"
    tail = f"\n{escape(alert.source_name)}\n{escape(alert.url)}"
    room = MAX_MESSAGE - len(head) - len(tail) - len("<b></b>")
    return f"{head}<b>{_fit(alert.title or alert.url, room)}</b>{tail}"


def alert_plain(alert: PendingAlert, topic_title: str) -> str:
    """The same alert without markup, for when Telegram rejects our HTML."""
    head = f"🔔 {topic_title}\n"
    tail = f"\n{alert.source_name}\n{alert.url}"
    room = MAX_MESSAGE - len(head) - len(tail)
    title = alert.title or alert.url
    if len(title) > room:
        title = title[: max(room - 1, 0)] + "…"
    return head + title + tail


def _fit(text: str, room: int) -> str:
    """Escape `text`, cutting it (before escaping, so no entity is split) to fit `room`."""
    escaped = escape(text)
    if len(escaped) <= room:
        return escaped
    cut = len(text)
    while cut > 0 and len(escape(text[:cut])) + 1 > room:
        cut -= max(1, (len(escape(text[:cut])) + 1 - room) // 6)
    return escape(text[:cut]) + "…"


def event_html(message: str) -> str:
    """An operator notice (a source paused or silent) for the admins."""
    return f"⚠️ <b>Dozor operator notice</b>\n{escape(message[: MAX_MESSAGE - 100])}"
