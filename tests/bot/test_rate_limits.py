"""Telegram's broadcast limits as the sender configures them (bot.telegram_limits.rate_limiter),
measured against the fake Bot API: 20 messages a minute per group, 30 a second overall.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.ext import ExtBot

from bot.telegram_limits import rate_limiter
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


async def test_the_whole_bot_never_sends_more_than_30_in_any_second(api, bot):
    """61 private chats, one message each, all at once: they are paced evenly (one every
    1/29.5 s), so no one-second window holds more than 30, and the 61st leaves about 2 s after
    the first. (A burst of 30 then 30 a second would put ~60 in the first second.) The bound is
    0.95 s rather than 1 s to allow for the loopback's scheduling jitter on a busy machine;
    bench/delivery.py checks against a strict counter."""
    await asyncio.gather(*(bot.send_message(chat, "alert") for chat in range(1, 62)))

    times = sorted(m["time"] for m in api.sent)
    assert len(times) == 61
    assert min(times[i + 30] - times[i] for i in range(len(times) - 30)) >= 0.95
    assert times[-1] - times[0] >= 1.9
