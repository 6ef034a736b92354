"""The bot's real Application, with `Commands` installed, polling a FakeBotApi from a thread.

    with RunningBot(api, live, store) as bot:
        reply = bot.command(7, "/start", "ru")          # the bot's reply (a sendMessage record)
        answer = bot.press(7, "t:strikes", reply["message_id"])   # its answerCallbackQuery
        api.message(7, reply["message_id"])            # the message as edited since

Updates are handled one at a time, in order, so each helper waits for the one record that
ends the handling it started (handlers answer a button last). Errors raised in handlers are
collected and fail the test when the bot stops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.commands import Commands
from bot.handler_base import utcnow
from monitor.live_config import LiveConfig
from monitor.store.db import Store
from tests.support.fake_telegram import FakeBotApi

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
POLL_TIMEOUT = 2  # seconds a getUpdates long poll may park; stopping never waits for it


class RunningBot:
    """Commands over real HTTP to the fake (see the module docstring)."""

    def __init__(self, api: FakeBotApi, live: LiveConfig, store: Store,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.api, self.live, self.store, self.clock = api, live, store, clock
        self.errors: list[BaseException] = []
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="bot")

    async def _main(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        app = ApplicationBuilder().token(TOKEN).base_url(self.api.base_url).build()
        Commands(self.live, self.store, self.clock).install(app)
        app.add_error_handler(self._record_error)
        try:
            await app.initialize()
            await app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)  # type: ignore[union-attr]
            await app.start()
            self._ready.set()
            await self._stopping.wait()
        except BaseException as exc:
            self._failure = exc
            self._ready.set()
        finally:
            if app.updater and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

    async def _record_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    def __enter__(self) -> RunningBot:
        self._thread.start()
        assert self._ready.wait(10), "the bot did not start"
        assert self._failure is None, repr(self._failure)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "the bot did not stop"
        assert self._failure is None, repr(self._failure)
        assert not self.errors, f"handlers failed: {self.errors!r}"

    def command(self, chat_id: int, text: str, language_code: str = "en",
                user_id: int | None = None) -> dict[str, Any]:
        """Send `text` (in a group, from `user_id`); the bot's (first) reply."""
        before = len(self.api.messages_to(chat_id))
        self.api.send_command(chat_id, text, language_code, user_id)
        return self.api.wait_for(lambda: self.api.messages_to(chat_id)[before:],
                                 what=f"a reply to {text.split()[0]}")[0]

    def press(self, chat_id: int, data: str, message_id: int, language_code: str = "en",
              user_id: int | None = None) -> dict[str, Any]:
        """Press the button `data` under the bot's message; the bot's answerCallbackQuery."""
        update = self.api.press_button(chat_id, data, message_id, language_code, user_id)
        return self.api.wait_for(lambda: self.api.callback_answer(update), what=f"an answer to {data!r}")


def buttons(message: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button of a sent or edited message, row by row."""
    markup = (message or {}).get("reply_markup") or {}
    return [(button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", []) for button in row]
