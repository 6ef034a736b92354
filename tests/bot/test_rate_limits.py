"""Telegram's broadcast limits as the sender configures them (bot.telegram_sender.rate_limiter),
measured against the fake Bot API: 20 messages a minute per group, 30 a second overall.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.ext import ExtBot

from bot.telegram_sender import rate_limiter
from tests.support.fake_telegram import FakeBotApi

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[ExtBot]:
    async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=rate_limiter()) as client:
        yield client


async def test_a_group_gets_20_messages_at_once_then_one_every_3_seconds(api, bot):
    """A negative chat id is a group: its 21st message within a minute waits (60 s / 20 = 3 s),
    while another group is not held up by it."""
    busy = [bot.send_message(-100, f"alert {n}") for n in range(21)]
    other = [bot.send_message(-200, f"alert {n}") for n in range(3)]
    await asyncio.gather(*busy, *other)

    times = {chat: [m["time"] for m in api.messages_to(chat)] for chat in (-100, -200)}
    start = min(times[-100])
    assert sorted(times[-100])[19] - start < 1.0  # the first 20 go out at once
    assert max(times[-100]) - start >= 2.9  # the 21st waits for the bucket to drain
    assert max(times[-200]) - start < 1.0


async def test_the_whole_bot_sends_30_at_once_then_30_a_second(api, bot):
    """60 private chats, one message each. AIORateLimiter is a leaky bucket: a burst of 30, then
    one every 1/30 s from the moment the burst began, so all 60 take at least about a second."""
    await asyncio.gather(*(bot.send_message(chat, "alert") for chat in range(1, 61)))

    times = sorted(m["time"] for m in api.sent)
    assert len(times) == 60
    assert times[29] - times[0] < 0.5
    assert times[-1] - times[0] >= 0.9
