"""Telegram's sending limits as the sender keeps them, and how long a 429 asks it to wait.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

# Telegram: "avoid sending more than one message per second" to one chat.
SECONDS_PER_CHAT = 1.0
# Telegram: "no more than 30 messages per second" overall; a little under, evenly spaced.
OVERALL_PER_SECOND = 29.5


def rate_limiter() -> AIORateLimiter:
    """Telegram's broadcast limits: 30 messages/s overall, 20/min per group (negative chat id).

    The overall limit is paced evenly, one message every 1/29.5 s, rather than a burst of 30 then
    30 a second: a burst puts close to 60 messages in the first second, which a strict counter
    answers with 429s. 29.5 leaves room for jitter; a fan-out takes 1.7 % longer for it.
    Retries are ours (the outbox), so the limiter never retries: it only spaces requests."""
    return AIORateLimiter(
        overall_max_rate=1, overall_time_period=1 / OVERALL_PER_SECOND,
        group_max_rate=FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP, group_time_period=60,
        max_retries=0,
    )


def retry_after(exc: RetryAfter) -> timedelta:
    """The pause a 429 asks for. PTB 22 gives seconds (warning that it will be a timedelta, or
    is one already with PTB_TIMEDELTA set); either way this is a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait if isinstance(wait, timedelta) else timedelta(seconds=float(wait))
