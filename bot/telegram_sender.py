"""The Telegram side of `dozor run`: the bot's Application (commands) and the outbox sender.

Each alert row is sent, then marked sent. Telegram failures decide what happens to the row:
429 pauses all sending for `retry_after`; Forbidden removes the chat; unparsable HTML is resent as
plain text; network errors and 5xx retry with back-off; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.commands import Commands
from bot.format import alert_html, alert_plain, event_html
from monitor.config import Config
from monitor.store import events, outbox
from monitor.store.db import Store
from monitor.store.subscribers import forget

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=24)
MAX_RETRY_DELAY = timedelta(minutes=10)
GET_UPDATES_TIMEOUT = 10


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class TelegramSender:
    """Runs the bot (long polling for commands) and delivers owed alerts."""

    def __init__(self, config: Config, store: Store, token: str) -> None:
        self.config = config
        self.store = store
        self.app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(token)
            .base_url(config.telegram.base_url)
            # Retries are ours (the outbox); the limiter only keeps us under Telegram's rates.
            .rate_limiter(AIORateLimiter(max_retries=0))
            .build()
        )
        Commands(config, store).install(self.app)
        self._paused_until: datetime | None = None

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.updater.start_polling(  # type: ignore[union-attr]
            timeout=GET_UPDATES_TIMEOUT, allowed_updates=Update.ALL_TYPES
        )
        await self.app.start()
        log.info("bot @%s is listening for commands", self.app.bot.username)

    async def stop(self) -> None:
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def deliver_pending(self) -> int:
        """Send every due alert; returns how many were sent."""
        now = utcnow()
        if self._paused_until and now < self._paused_until:
            return 0
        if not await self._send_events(now):
            return 0
        alerts = await asyncio.to_thread(self._due, now)
        sent = 0
        held: set[int] = set()  # chats with a failed alert this round: keep their order
        for alert in alerts:
            if alert.chat_id in held:
                continue
            result = await self._send(alert)
            if result == "sent":
                sent += 1
            elif result == "paused":
                break
            else:
                held.add(alert.chat_id)
        return sent

    async def _send_events(self, now: datetime) -> bool:
        """Send pending operator events to every admin; False when Telegram asked us to pause."""
        admins = self.config.telegram.admins
        if not admins:
            return True  # kept pending: admins added later still hear about them
        pending = await asyncio.to_thread(self._write, events.due_events, now)
        for event in pending:
            try:
                for chat_id in admins:
                    await self._send_to_admin(chat_id, event_html(event.message))
            except RetryAfter as exc:
                await self._pause_for(exc)
                return False
            except (NetworkError, TelegramError) as exc:
                delay = min(timedelta(seconds=2 ** min(event.attempts, 12)), MAX_RETRY_DELAY)
                await asyncio.to_thread(self._write, events.mark_event_retry, event.event_id, utcnow(), delay)
                log.warning("operator event %d not sent (%s); retrying in %ss",
                            event.event_id, exc, delay.total_seconds())
                continue
            await asyncio.to_thread(self._write, events.mark_event_sent, event.event_id, utcnow())
            log.info("operator event %d (%s) sent to %d admins", event.event_id, event.kind, len(admins))
        return True

    async def _send_to_admin(self, chat_id: int, html: str) -> None:
        try:
            await self.app.bot.send_message(chat_id, html, parse_mode=ParseMode.HTML)
        except Forbidden:
            # An admin who blocked the bot must not hold the others' notices back.
            log.warning("an admin chat has blocked the bot; check telegram.admins in the config")

    def _due(self, now: datetime) -> list[outbox.PendingAlert]:
        with self.store.session() as session:
            return outbox.due(session, now)

    async def _send(self, alert: outbox.PendingAlert) -> str:
        topic = self.config.topic(alert.topic_id)
        title = topic.label if topic else alert.topic_id
        try:
            try:
                await self.app.bot.send_message(
                    alert.chat_id, alert_html(alert, title), parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=False),
                )
            except BadRequest as exc:
                if "can't parse entities" not in str(exc).lower():
                    raise
                log.warning("delivery=%d: Telegram rejected the HTML (%s); resending as plain text",
                            alert.delivery_id, exc.message)
                await self.app.bot.send_message(alert.chat_id, alert_plain(alert, title))
        except RetryAfter as exc:
            return await self._pause(alert, exc)
        except Forbidden as exc:
            await asyncio.to_thread(self._write, forget, alert.chat_id)
            log.info("delivery=%d: chat is gone (%s); its subscriptions were deleted",
                     alert.delivery_id, exc.message)
            return "gone"
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                await asyncio.to_thread(self._write, forget, alert.chat_id)
                log.info("delivery=%d: chat not found; its subscriptions were deleted", alert.delivery_id)
                return "gone"
            await asyncio.to_thread(self._write, outbox.mark_failed, alert.delivery_id, exc.message)
            log.error("delivery=%d topic=%s failed for good: %s", alert.delivery_id, alert.topic_id, exc.message)
            return "failed"
        except (NetworkError, TelegramError) as exc:
            return await self._retry_later(alert, exc)
        await asyncio.to_thread(self._write, outbox.mark_sent, alert.delivery_id, utcnow())
        log.info("delivery=%d topic=%s sent", alert.delivery_id, alert.topic_id)
        return "sent"

    async def _pause(self, alert: outbox.PendingAlert, exc: RetryAfter) -> str:
        await self._pause_for(exc)
        return "paused"

    async def _pause_for(self, exc: RetryAfter) -> None:
        wait = exc.retry_after
        delay = wait if isinstance(wait, timedelta) else timedelta(seconds=float(wait))
        until = utcnow() + delay
        self._paused_until = until
        await asyncio.to_thread(self._write, outbox.postpone_all, until)
        log.warning("Telegram asked to slow down: pausing all sending for %ss", delay.total_seconds())

    async def _retry_later(self, alert: outbox.PendingAlert, exc: TelegramError) -> str:
        now = utcnow()
        if now - alert.created_at > GIVE_UP_AFTER:
            await asyncio.to_thread(self._write, outbox.mark_failed, alert.delivery_id, str(exc))
            log.error("delivery=%d topic=%s failed for 24 h, giving up: %s", alert.delivery_id, alert.topic_id, exc)
            return "failed"
        delay = min(timedelta(seconds=2 ** min(alert.attempts, 12)), MAX_RETRY_DELAY)
        await asyncio.to_thread(self._write, outbox.mark_retry, alert.delivery_id, now, delay, str(exc))
        log.warning("delivery=%d topic=%s not sent (%s); retrying in %ss",
                    alert.delivery_id, alert.topic_id, exc, delay.total_seconds())
        return "retry"

    def _write(self, action, *args):  # type: ignore[no-untyped-def]
        with self.store.session() as session:
            return action(session, *args)
