"""/digest, /quiet and /mute through the fake Bot API: the reply, and the choice as stored.

Holding alerts and sending digests is the sender's job (bot/digest.py); these commands only
store the choice, checked, with "HH:MM" in the config's timezone (Asia/Almaty here).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.prefs import local_time
from monitor.store.db import Store
from monitor.store.subscribers import Choices, choices_of
from tests.support.bot_runner import RunningBot

CHAT = 7


def stored(store: Store) -> Choices | None:
    with store.session() as session:
        return choices_of(session, CHAT)


@pytest.mark.parametrize(("language_code", "reply"), [
    ("ru", "Ежедневная сводка: обычные уведомления приходят вместе каждый день в 08:30 (Asia/Almaty).\n"
           "🚨 Срочные темы по-прежнему приходят сразу."),
    ("kk", "Күнделікті жинақ: қарапайым хабарламалар күн сайын сағат 08:30 (Asia/Almaty) бірге келеді.\n"
           "🚨 Шұғыл тақырыптар бұрынғыдай бірден келеді."),
    ("en", "Daily digest: normal alerts arrive together every day at 08:30 (Asia/Almaty).\n"
           "🚨 Urgent topics still arrive at once."),
])
def test_a_daily_digest_is_stored_and_confirmed_in_the_chats_language(
        bot: RunningBot, store: Store, language_code: str, reply: str) -> None:
    assert bot.command(CHAT, "/digest daily 8:30", language_code)["text"] == reply

    choices = stored(store)
    assert choices is not None
    assert (choices.digest, choices.digest_at, choices.language) == ("daily", "08:30", language_code)


def test_hourly_then_off_clears_the_daily_time(bot: RunningBot, store: Store) -> None:
    bot.command(CHAT, "/digest daily 20:00")
    assert bot.command(CHAT, "/digest hourly")["text"].startswith("Hourly digest:")
    assert (stored(store).digest, stored(store).digest_at) == ("hourly", None)  # type: ignore[union-attr]

    assert bot.command(CHAT, "/digest off")["text"].startswith("Digest off:")
    assert (stored(store).digest, stored(store).digest_at) == ("off", None)  # type: ignore[union-attr]


def test_digest_without_an_argument_shows_the_setting_and_how_to_change_it(bot: RunningBot) -> None:
    assert bot.command(CHAT, "/digest")["text"] == (
        "Digest off: each alert arrives as soon as it is found.\n\n"
        "Write /digest off, /digest hourly or /digest daily HH:MM, for example "
        "<code>/digest daily 08:30</code>.")


@pytest.mark.parametrize(("command", "language_code", "reply"), [
    ("/digest weekly", "ru", "Это не похоже на настройку сводки. Напишите /digest off, /digest hourly или "
                             "/digest daily ЧЧ:ММ, например <code>/digest daily 08:30</code>."),
    ("/quiet 25:00-07:00", "kk", "Бұл уақыт аралығына ұқсамайды. /quiet СС:ММ-СС:ММ деп жазыңыз, мысалы "
                                 "<code>/quiet 23:00-07:00</code>; /quiet off тыныш уақытты өшіреді."),
    ("/mute forever", "en", "That is not a length of time. Write how long, for example <code>/mute 30m</code>, "
                            "<code>/mute 2h</code> or <code>/mute 1d</code> (30 days at most); /mute off ends it."),
    ("/mute 45d", "en", "That is not a length of time. Write how long, for example <code>/mute 30m</code>, "
                        "<code>/mute 2h</code> or <code>/mute 1d</code> (30 days at most); /mute off ends it."),
])
def test_bad_input_gets_a_translated_error_with_an_example_and_stores_nothing(
        bot: RunningBot, store: Store, command: str, language_code: str, reply: str) -> None:
    assert bot.command(CHAT, command, language_code)["text"] == reply
    assert stored(store) is None


def test_quiet_hours_are_stored_and_cleared(bot: RunningBot, store: Store) -> None:
    reply = bot.command(CHAT, "/quiet 23:00 - 7:00", "ru")["text"]

    assert reply.startswith("Тихие часы: 23:00–07:00 каждый день (Asia/Almaty).")
    assert (stored(store).quiet_from, stored(store).quiet_until) == ("23:00", "07:00")  # type: ignore[union-attr]
    assert bot.command(CHAT, "/quiet", "ru")["text"].startswith("Тихие часы: 23:00–07:00")

    assert bot.command(CHAT, "/quiet off", "ru")["text"] == "Тихие часы выключены."
    assert (stored(store).quiet_from, stored(store).quiet_until) == (None, None)  # type: ignore[union-attr]


def test_mute_holds_alerts_for_the_time_given_and_off_ends_it(bot: RunningBot, store: Store) -> None:
    before = datetime.now(timezone.utc)
    reply = bot.command(CHAT, "/mute 2h")["text"]
    after = datetime.now(timezone.utc)

    until = stored(store).muted_until  # type: ignore[union-attr]
    assert until is not None and before + timedelta(hours=2) <= until <= after + timedelta(hours=2)
    shown = local_time(until, bot.live.current.zone, after)
    assert reply.startswith(f"Muted until {shown} (Asia/Almaty). Alerts wait and arrive as one digest")
    assert bot.command(CHAT, "/mute")["text"].startswith(f"Muted until {shown}")

    assert bot.command(CHAT, "/mute off")["text"] == "Not muted: alerts arrive as usual."
    assert stored(store).muted_until is None  # type: ignore[union-attr]
