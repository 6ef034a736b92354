"""FakeBotApi driven by a real python-telegram-bot client, so the fake stays faithful."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from tests.support.fake_telegram import BOT_USER, FakeBotApi

TOKEN = "123456:SECRET"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as client:
        yield client


def _post(url: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def test_get_me_reports_the_test_bot_and_records_the_token(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.first_name, me.is_bot) == (
        BOT_USER["id"], "dozor_test_bot", "Dozor Test", True,
    )
    assert api.token_seen == {TOKEN}
    assert api.calls[0] == ("getMe", {})


async def test_send_message_records_html_and_inline_keyboard(api: FakeBotApi, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Mute", callback_data="mute:1")]])

    message = await bot.send_message(
        7, "<b>Strike</b> at the plant", parse_mode=ParseMode.HTML, reply_markup=keyboard,
        disable_web_page_preview=True,
    )

    assert message.chat.id == 7 and message.message_id == 1
    assert message.from_user is not None and message.from_user.username == "dozor_test_bot"
    assert message.reply_markup == keyboard
    [sent] = api.sent
    assert sent["chat_id"] == 7
    assert sent["text"] == "<b>Strike</b> at the plant"
    assert sent["parse_mode"] == "HTML"
    assert sent["reply_markup"] == keyboard.to_dict()  # decoded from the JSON form field
    # PTB 22 turns disable_web_page_preview into link_preview_options on the wire.
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert sent["message_id"] == 1


async def test_message_ids_count_per_chat(api: FakeBotApi, bot: Bot) -> None:
    ids = [(await bot.send_message(chat, "hi")).message_id for chat in (7, 7, 8, 7)]

    assert ids == [1, 2, 1, 3]
    assert [m["message_id"] for m in api.messages_to(7)] == [1, 2, 3]


async def test_get_updates_returns_a_queued_command_and_honours_offset(
    api: FakeBotApi, bot: Bot
) -> None:
    api.send_command(7, "/subscribe strikes", language_code="ru")

    [update] = await bot.get_updates(timeout=0)

    message = update.message
    assert message is not None and message.text == "/subscribe strikes"
    assert message.chat.id == 7 and message.from_user is not None
    assert message.from_user.language_code == "ru" and not message.from_user.is_bot
    commands = message.parse_entities([MessageEntity.BOT_COMMAND])
    assert list(commands.values()) == ["/subscribe"]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert api.pending_updates == []


async def test_callback_query_and_blocked_bot_updates(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(7, "Alert", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Mute", callback_data="mute:1")]]
    ))
    api.press_button(7, "mute:1", sent.message_id)
    api.block_bot(7)

    press, blocked = await bot.get_updates(timeout=0)

    assert press.callback_query is not None and press.callback_query.data == "mute:1"
    assert press.callback_query.message is not None
    assert press.callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(press.callback_query.id, "Muted")
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == ChatMemberStatus.BANNED  # "kicked"
    assert press.update_id < blocked.update_id
    # Like Telegram, a blocked chat refuses further messages.
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(7, "still there?")


async def test_injected_429_surfaces_as_retry_after(
    api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 gives retry_after as int with a deprecation warning unless this opts in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(7, "first")
    await bot.send_message(7, "second")  # only one call was meant to fail

    assert raised.value.retry_after == timedelta(seconds=2)
    assert [f["status"] for f in api.failures] == [429]
    assert [m["text"] for m in api.sent] == ["second"]


async def test_injected_403_only_hits_the_given_chat(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=7)

    await bot.send_message(8, "to someone else")
    with pytest.raises(Forbidden):
        await bot.send_message(7, "to the blocker")

    assert api.failures[0]["chat_id"] == 7
    assert [m["chat_id"] for m in api.sent] == [8]


async def test_injected_400_and_502(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", 400, "Bad Request: can't parse entities: unclosed tag", times=2)
    api.fail("getMe", 502, "Bad Gateway")

    for _ in range(2):
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(7, "<b>oops", parse_mode=ParseMode.HTML)
    with pytest.raises(NetworkError):
        await bot.get_me()

    assert await bot.send_message(7, "<b>fixed</b>", parse_mode=ParseMode.HTML)


async def test_long_poll_returns_when_an_update_is_queued_from_another_thread(
    api: FakeBotApi, bot: Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    # Queue only once the poll is parked, so the wake-up path is what gets tested.
    await asyncio.to_thread(api.wait_for, lambda: api.polling)
    await asyncio.to_thread(api.send_text, 7, "hello")

    [update] = await asyncio.wait_for(poll, 5)

    assert update.message is not None and update.message.text == "hello"
    assert time.monotonic() - started < 5


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()

    assert await bot.get_updates(timeout=0.3) == ()  # the fake accepts fractional seconds

    assert 0.25 < time.monotonic() - started < 3


async def test_stopping_releases_a_parked_long_poll(bot: Bot, api: FakeBotApi) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.to_thread(api.wait_for, lambda: api.polling)
    started = time.monotonic()

    await asyncio.to_thread(api.stop)

    assert await asyncio.wait_for(poll, 5) == ()
    assert time.monotonic() - started < 3


async def test_edit_commands_and_chat_action(api: FakeBotApi, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Mute", callback_data="mute")]])
    sent = await bot.send_message(7, "Alert", reply_markup=keyboard)

    edited = await bot.edit_message_text("Alert (muted)", chat_id=7, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Alert (muted)", chat_id=7, message_id=sent.message_id)
    await bot.edit_message_reply_markup(
        chat_id=7, message_id=sent.message_id, reply_markup=keyboard
    )
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", chat_id=7, message_id=99)
    assert await bot.send_chat_action(7, "typing")
    assert await bot.set_my_commands([("start", "Subscribe"), ("stop", "Unsubscribe")])
    commands = await bot.get_my_commands()
    assert await bot.delete_my_commands()

    assert isinstance(edited, type(sent)) and edited.text == "Alert (muted)"
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    current = api.message(7, sent.message_id)
    assert current is not None and current["text"] == "Alert (muted)"
    assert current["reply_markup"] == keyboard.to_dict()
    assert [(c.command, c.description) for c in commands] == [
        ("start", "Subscribe"), ("stop", "Unsubscribe"),
    ]
    assert await bot.get_my_commands() == ()
    assert [m for m, _ in api.calls].count("editMessageText") == 3


async def test_delete_webhook_can_drop_pending_updates(api: FakeBotApi, bot: Bot) -> None:
    api.send_text(7, "old news")

    assert await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates(timeout=0) == ()


async def test_down_modes(api: FakeBotApi, bot: Bot) -> None:
    port = api.port

    api.set_down("502")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()

    api.set_down("refuse")
    with pytest.raises(NetworkError):
        await bot.get_me()  # its pooled keep-alive connection was closed too
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()

    api.set_down("hang")
    assert api.port == port  # came back on the same port, so clients need no new URL
    with pytest.raises(TimedOut):
        await bot.get_me(read_timeout=0.3)

    api.set_down(None)
    assert (await bot.get_me()).username == "dozor_test_bot"
    assert [f["status"] for f in api.failures].count(502) >= 1


async def test_hung_request_is_answered_once_the_outage_ends(api: FakeBotApi, bot: Bot) -> None:
    api.set_down("hang")
    send = asyncio.create_task(bot.send_message(7, "queued during outage", read_timeout=10))
    await asyncio.to_thread(api.wait_for, lambda: [m for m, _ in api.calls if m == "sendMessage"])
    assert api.sent == []

    api.set_down(None)

    assert (await asyncio.wait_for(send, 5)).text == "queued during outage"


async def test_application_answers_a_command_end_to_end(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Subscribed")

    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder().token(TOKEN).base_url(api.base_url).build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        api.send_command(42, "/start")
        await asyncio.to_thread(api.wait_for, lambda: api.messages_to(42))
        await app.updater.stop()
        await app.stop()

    assert [m["text"] for m in api.messages_to(42)] == ["Subscribed"]


def test_raw_json_and_form_requests_and_unknown_method(api: FakeBotApi) -> None:
    url = api.url(f"/bot{TOKEN}/sendMessage")
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}

    payload = {"chat_id": 5, "text": "json", "reply_markup": markup}
    status, body = _post(url, json.dumps(payload).encode(), "application/json")
    assert status == 200 and body["ok"] and body["result"]["text"] == "json"
    form = f"chat_id=5&text=%5B1%5D&reply_markup={json.dumps(markup)}".encode()
    status, body = _post(url, form, "application/x-www-form-urlencoded")
    assert status == 200 and body["result"]["text"] == "[1]"  # text is never JSON-decoded
    assert [m["reply_markup"] for m in api.sent] == [markup, markup]

    status, body = _post(api.url(f"/bot{TOKEN}/sendSticker"), b"{}", "application/json")
    assert status == 404 and body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wrong_token_is_rejected_when_a_token_is_expected() -> None:
    with FakeBotApi(token=TOKEN) as api:
        async with Bot(TOKEN, base_url=api.base_url) as good:
            assert await good.get_me()
        with pytest.raises(InvalidToken):
            async with Bot("999:WRONG", base_url=api.base_url):
                pass
        assert api.token_seen == {TOKEN, "999:WRONG"}


def test_wait_for_timeout_says_what_was_awaited_and_what_happened(api: FakeBotApi) -> None:
    api.send_text(7, "hi")

    with pytest.raises(AssertionError) as raised:
        api.wait_for(lambda: api.messages_to(99), timeout=0.05)

    text = str(raised.value)
    assert "api.messages_to(99)" in text and "pending updates: [1]" in text
