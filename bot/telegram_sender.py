"""The Telegram side of `dozor run`: the bot's Application (commands) and the outbox sender.

Each alert row is announced (`mark_sending`), sent, then marked sent, each step its own commit.
Telegram's answer decides what happens to the row:

- 429 `RetryAfter`: all sending pauses for `retry_after`; the alert stays pending.
- 403 `Forbidden` (blocked, kicked, deactivated) or "chat not found": the chat and all its rows go.
- 400 "can't parse entities": resent at once as plain text; other 400s fail the row for good.
- 5xx, timeouts, connection errors: Telegram is down, so all sending backs off (1 s doubling up
  to `telegram.max_retry_delay`); one row probes when the pause ends.
- A row still failing 24 h after it was owed is marked failed (counted in `dozor`'s outbox counts).

Normal-priority alerts to a chat in digest mode, muted or in its quiet hours wait; they go out
together as a digest when one is due (bot/digest.py says when), before the alerts sent one by
one. A digest is one message or a few (4096 characters each), and each message's rows go through
the same steps and answers as one alert's row. Urgent topics never wait.

Alerts go out oldest first and one chat's alerts in the order they were found; no chat gets more
than one message a second, groups no more than 20 a minute, the bot no more than 30 a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from enum import Enum

from sqlalchemy.orm import Session
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder

from bot import digest
from bot.commands import Commands, publish_menus
from bot.format import event_html
from bot.outgoing import Outgoing, alert_message, digest_messages
from bot.telegram_limits import SECONDS_PER_CHAT, rate_limiter, retry_after
from monitor.config import Config
from monitor.live_config import LiveConfig
from monitor.metrics import Metrics
from monitor.store import events, outbox
from monitor.store.db import Store
from monitor.store.subscribers import forget, move_chat

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY_DELAY = timedelta(seconds=1)
GET_UPDATES_TIMEOUT = 10
START_WAIT_SECONDS = 10  # then the bot keeps connecting in the background; the service goes on


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Sent(Enum):
    """What became of one alert."""

    SENT = "sent"
    GONE = "gone"  # the chat blocked the bot or no longer exists: it was forgotten
    FAILED = "failed"  # failed for good (a 400 other than bad HTML, or 24 h of failures)
    PAUSED = "paused"  # Telegram said 429: nothing more until retry_after
    DOWN = "down"  # 5xx or network: everything backs off


def _outbox_state(session: Session) -> tuple[dict[str, int], int]:
    return outbox.counts(session), outbox.possible_repeats(session)


class TelegramSender:
    """Runs the bot (long polling for commands) and delivers owed alerts."""

    def __init__(self, live: LiveConfig, store: Store, token: str,
                 clock: Callable[[], datetime] = utcnow, metrics: Metrics | None = None) -> None:
        self.live = live
        self.store = store
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder().token(token).base_url(live.current.telegram.base_url)
            .rate_limiter(rate_limiter()).build()
        )
        Commands(live, store).install(self.app)
        self._paused_until: datetime | None = None
        self._down_rounds = 0  # rounds in a row that found Telegram down (5xx, network)
        self._last_sent: dict[int, float] = {}  # chat → monotonic time of its last message
        self._moved: dict[int, int] = {}  # group → the supergroup it became
        self._starting: asyncio.Task[None] | None = None
        self._connected = False
        self._stopping = False  # set by stop(): a long fan-out ends after the message in flight

    @property
    def config(self) -> Config:
        """The config now running (config.yaml may be reloaded while the service runs)."""
        return self.live.current

    async def start(self) -> None:
        """Connect and listen for commands. If Telegram is unreachable, keep trying in the
        background (alerts wait in the outbox) rather than stop the whole service; a bad token
        still fails here."""
        counts, repeats = await asyncio.to_thread(self._write, _outbox_state)
        log.info("outbox: %d pending, %d sent, %d failed; %d possible repeats so far",
                 counts.get("pending", 0), counts.get("sent", 0), counts.get("failed", 0), repeats)
        self._starting = asyncio.create_task(self._connect_and_listen())
        await asyncio.wait({self._starting}, timeout=START_WAIT_SECONDS)
        if self._starting.done():
            self._starting.result()  # raises what stopped it, e.g. InvalidToken

    async def connect(self) -> None:
        """Initialize the bot (getMe), retrying with back-off while Telegram is unreachable."""
        failures = 0
        while True:
            try:
                await self.app.initialize()
            except NetworkError as exc:
                delay = self._retry_delay(failures)
                failures += 1
                log.warning("Telegram is unreachable (%s); trying again in %ss, alerts wait meanwhile",
                            exc, delay.total_seconds())
                await asyncio.sleep(delay.total_seconds())
                continue
            self._connected = True
            return

    async def _connect_and_listen(self) -> None:
        await self.connect()
        try:
            await publish_menus(self.app.bot)
        except TelegramError as exc:  # the menu is a convenience; commands work without it
            log.warning("could not publish the command menus (%s); commands still work", exc)
        await self.app.updater.start_polling(  # type: ignore[union-attr]
            timeout=GET_UPDATES_TIMEOUT, allowed_updates=Update.ALL_TYPES
        )
        await self.app.start()
        log.info("bot @%s is listening for commands", self.app.bot.username)

    async def stop(self) -> None:
        self._stopping = True
        if self._starting and not self._starting.done():
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def deliver_pending(self) -> int:
        """Send the digests due, then every due alert, batch after batch until none is left;
        returns how many messages were sent.

        Looping here rather than waiting for the next tick keeps a fan-out to thousands of chats
        at Telegram's 30 messages a second instead of stalling between batches."""
        now = self.clock()
        if not self._connected or (self._paused_until and now < self._paused_until):
            return 0
        if not await self._send_events(now):
            return 0
        urgent = frozenset(t.id for t in self.config.topics if t.priority == "urgent")
        chats = await asyncio.to_thread(self._write, outbox.chat_choices, urgent)
        sent, stop = await self._send_digests(chats, urgent)
        while not stop:
            now = self.clock()
            holding = {chat.chat_id for chat in chats if digest.holds(chat, now, self.config.zone)}
            alerts = await asyncio.to_thread(self._write, outbox.due, now, holding=holding, urgent=urgent)
            sent_now, settled, stop = await self._send_batch(alerts)
            sent += sent_now
            stop = stop or not settled
        return sent

    async def _send_digests(self, chats: list[outbox.ChatChoices], urgent: frozenset[str]) -> tuple[int, bool]:
        """Send each digest that is due; (messages sent, stop: Telegram asked us to pause or is down)."""
        sent = 0
        zone = self.config.zone
        for chat in chats:
            now = self.clock()
            if not digest.digest_due(chat, now, zone) or (chat.owed_retry_at and chat.owed_retry_at > now):
                continue
            if self._stopping:
                return sent, True
            alerts = await asyncio.to_thread(self._write, outbox.held, chat.chat_id, urgent)
            result = Sent.SENT  # an empty digest sends nothing but still counts as had
            for message in digest_messages(chat, alerts, digest.last_release(chat, now, zone) or now):
                result = await self._send(message)
                if result in (Sent.PAUSED, Sent.DOWN):
                    return sent, True  # its unsent rows stay pending, so it is still due next time
                if result is Sent.GONE:
                    break
                if result is Sent.SENT:
                    sent += 1
            if result is not Sent.GONE:
                await asyncio.to_thread(self._write, outbox.note_digest, chat.chat_id, self.clock())
        return sent, False

    async def _send_batch(self, alerts: list[outbox.PendingAlert]) -> tuple[int, int, bool]:
        """(sent, rows settled for good, stop: Telegram asked us to pause or is down)."""
        sent = settled = 0
        held: set[int] = set()  # chats with an unsent alert this round: keep their order
        for alert in alerts:
            if self._stopping:
                return sent, settled, True
            if alert.chat_id in held:
                continue
            result = await self._send(alert_message(alert, self.config))
            if result is Sent.SENT:
                sent += 1
            elif result in (Sent.PAUSED, Sent.DOWN):
                return sent, settled + sent, True
            else:
                held.add(alert.chat_id)
            settled += 1
        return sent, settled, False

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
                delay = self._retry_delay(event.attempts)
                await asyncio.to_thread(self._write, events.mark_event_retry, event.event_id, self.clock(), delay)
                log.warning("operator event %d not sent (%s); retrying in %ss",
                            event.event_id, exc, delay.total_seconds())
                continue
            await asyncio.to_thread(self._write, events.mark_event_sent, event.event_id, self.clock())
            log.info("operator event %d (%s) sent to %d admins", event.event_id, event.kind, len(admins))
        return True

    async def _send_to_admin(self, chat_id: int, html: str) -> None:
        try:
            await self.app.bot.send_message(chat_id, html, parse_mode=ParseMode.HTML)
        except Forbidden:
            # An admin who blocked the bot must not hold the others' notices back.
            log.warning("an admin chat has blocked the bot; check telegram.admins in the config")

    async def _send(self, message: Outgoing) -> Sent:
        await self._pace(message.chat_id)
        repeat = await asyncio.to_thread(self._write, outbox.mark_sending, message.rows, self.clock())
        if repeat:
            log.warning("%s: the last send may have reached the chat (cut off by a crash or a timeout); "
                        "sending again, counted as a possible repeat", message.what)
        try:
            await self._send_message(message)
        except RetryAfter as exc:
            await asyncio.to_thread(self._write, outbox.mark_retry, message.rows, self.clock(),
                                    timedelta(), "429 Too Many Requests")
            self.metrics.too_many_requests.inc()
            await self._pause_for(exc)
            return self._counted(message, Sent.PAUSED)
        except Forbidden as exc:
            return self._counted(message, await self._forget(message, exc.message))
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                return self._counted(message, await self._forget(message, exc.message))
            await asyncio.to_thread(self._write, outbox.mark_failed, message.rows, exc.message)
            log.error("%s failed for good: %s", message.what, exc.message)
            return self._counted(message, Sent.FAILED)
        except TelegramError as exc:  # NetworkError (5xx, refused, timeouts) and the unforeseen
            return self._counted(message, await self._retry_later(message, exc))
        self._last_sent[message.chat_id] = time.monotonic()
        self._down_rounds = 0
        sent_at = self.clock()
        await asyncio.to_thread(self._write, outbox.mark_sent, message.rows, sent_at)
        log.info("%s sent", message.what)
        if message.found_at is not None:
            self.metrics.delivery_latency.observe(max(0.0, (sent_at - message.found_at).total_seconds()))
        return self._counted(message, Sent.SENT)

    def _counted(self, message: Outgoing, result: Sent) -> Sent:
        outcome = "retry" if result in (Sent.PAUSED, Sent.DOWN) else result.value
        self.metrics.deliveries.labels(outcome).inc(len(message.rows))
        return result

    async def _send_message(self, message: Outgoing) -> None:
        """HTML first; plain text when Telegram cannot parse our HTML (it must never block the queue)."""
        try:
            await self._to_chat(message, message.html, ParseMode.HTML)
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.warning("%s: Telegram rejected the HTML (%s); resending as plain text", message.what, exc.message)
            await self._to_chat(message, message.plain, None)

    async def _to_chat(self, message: Outgoing, text: str, mode: str | None) -> None:
        preview = message.preview
        chat_id = self._moved.get(message.chat_id, message.chat_id)  # rows read before a move
        try:
            await self.app.bot.send_message(chat_id, text, parse_mode=mode, link_preview_options=preview)
        except ChatMigrated as exc:
            # A group that became a supergroup has a new id: its choices and owed alerts move
            # there, so later alerts go straight to it.
            log.info("%s: the group became a supergroup; moving its subscriptions to the new id", message.what)
            await asyncio.to_thread(self._write, move_chat, message.chat_id, exc.new_chat_id)
            self._moved[message.chat_id] = exc.new_chat_id
            self._last_sent.pop(message.chat_id, None)
            await self.app.bot.send_message(exc.new_chat_id, text, parse_mode=mode, link_preview_options=preview)

    async def _pace(self, chat_id: int) -> None:
        """Wait until this chat's last message is a second old (AIORateLimiter spaces groups and
        the whole bot, not private chats)."""
        last = self._last_sent.get(chat_id)
        if last is not None:
            wait = last + SECONDS_PER_CHAT - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _forget(self, message: Outgoing, reason: str) -> Sent:
        await asyncio.to_thread(self._write, forget, message.chat_id)
        self._last_sent.pop(message.chat_id, None)
        log.info("%s: chat is gone (%s); its subscriptions and alerts were deleted", message.what, reason)
        return Sent.GONE

    async def _pause_for(self, exc: RetryAfter) -> None:
        delay = retry_after(exc)
        until = self.clock() + delay
        self._paused_until = until
        await asyncio.to_thread(self._write, outbox.postpone_all, until)
        log.warning("Telegram asked to slow down: pausing all sending for %ss", delay.total_seconds())

    async def _retry_later(self, message: Outgoing, exc: TelegramError) -> Sent:
        now = self.clock()
        # A timeout may have been answered after all: then the next send is a possible repeat.
        maybe_sent = isinstance(exc, TimedOut)
        if now - message.owed_since > GIVE_UP_AFTER:
            await asyncio.to_thread(self._write, outbox.mark_failed, message.rows, str(exc))
            log.error("%s failed for 24 h, giving up: %s", message.what, exc)
            return Sent.FAILED
        delay = self._retry_delay(self._down_rounds)
        self._down_rounds += 1
        self._paused_until = now + delay
        await asyncio.to_thread(self._write, outbox.mark_retry, message.rows, now, delay, str(exc),
                                maybe_sent=maybe_sent)
        log.warning("%s not sent (%s); Telegram seems down, all sending waits %ss",
                    message.what, exc, delay.total_seconds())
        return Sent.DOWN

    def _retry_delay(self, failures: int) -> timedelta:
        return min(FIRST_RETRY_DELAY * 2 ** min(failures, 20), self.config.telegram.max_retry_delay)

    def _write(self, action, *args, **kwargs):  # type: ignore[no-untyped-def]
        with self.store.session() as session:
            return action(session, *args, **kwargs)
