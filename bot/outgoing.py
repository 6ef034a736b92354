"""What the sender sends: one alert, or one part of a digest, with the outbox rows it settles.

Pure: built from stored alerts and the config, no I/O, so the wording tests without Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import LinkPreviewOptions

from bot import digest
from bot.format import alert_html, alert_plain, digest_parts
from monitor.config import Config
from monitor.store.outbox import ChatChoices, PendingAlert


@dataclass(frozen=True)
class Outgoing:
    """One message to send and the outbox rows it settles."""

    chat_id: int
    rows: tuple[int, ...]
    owed_since: datetime  # the 24 h give-up counts from here
    what: str  # for logs: which rows, never who or what
    html: str
    plain: str
    preview: LinkPreviewOptions
    found_at: datetime | None = None  # an alert's hit time, for the delivery latency metric


def alert_message(alert: PendingAlert, config: Config) -> Outgoing:
    topic = config.topic(alert.topic_id)
    title = topic.label if topic else alert.topic_id
    zone = config.zone
    preview = (LinkPreviewOptions(url=alert.url) if config.telegram.link_previews
               else LinkPreviewOptions(is_disabled=True))
    return Outgoing(alert.chat_id, (alert.delivery_id,), alert.created_at,
                    f"delivery={alert.delivery_id} topic={alert.topic_id}",
                    alert_html(alert, title, zone), alert_plain(alert, title, zone), preview,
                    found_at=alert.created_at)


def digest_messages(chat: ChatChoices, alerts: list[PendingAlert], released: datetime) -> list[Outgoing]:
    """The digest's messages. Held rows wait by choice: the 24 h give-up counts from the release."""
    parts = digest_parts(alerts, digest.heading(len(alerts), chat.language))
    messages = []
    for n, part in enumerate(parts, start=1):
        ids = tuple(a.delivery_id for a in part.alerts)
        what = f"digest part {n}/{len(parts)} deliveries={ids[0]}..{ids[-1]}"
        messages.append(Outgoing(chat.chat_id, ids, released, what, part.html, part.plain,
                                 LinkPreviewOptions(is_disabled=True)))
    return messages
