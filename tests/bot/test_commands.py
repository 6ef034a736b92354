"""Subscriber commands through the fake Bot API: updates in, messages and keyboards out.

Covers /start, /topics, the topic buttons (a callback-query round trip), /subscribe and
/unsubscribe as text, /lang (typed and by button), /stop with its confirmation, and /help, in
Russian, Kazakh and English.
"""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot

from bot.commands import publish_menus
from monitor.store.db import Store
from monitor.store.subscribers import choices_of, subscribe, topics_of
from tests.bot.conftest import ADMIN
from tests.support.bot_runner import TOKEN, RunningBot, buttons
from tests.support.fake_telegram import FakeBotApi

CHAT = 7
UNTICKED = [("▫️ Strikes & <walkouts>", "t:strikes"), ("▫️ 🚨 Arrests of activists", "t:arrests"),
            ("▫️ Mangystau", "t:mangystau")]


def stored_topics(store: Store, chat: int) -> list[str]:
    with store.session() as session:
        return topics_of(session, chat)


def stored_language(store: Store, chat: int) -> str | None:
    with store.session() as session:
        choices = choices_of(session, chat)
    return choices.language if choices else None


@pytest.mark.parametrize(("language_code", "welcome", "privacy"), [
    ("ru", "<b>Дозор</b> следит за новостями", "/stop сразу удаляет всё это."),
    ("kk", "<b>Дозор</b> жаңалықтарды бақылап", "/stop мұның бәрін бірден өшіреді."),
    ("en", "<b>Dozor</b> watches the news", "/stop deletes all of it at once."),
    ("de", "<b>Dozor</b> watches the news", "/stop deletes all of it at once."),  # others: English
])
def test_start_welcomes_in_the_users_language_with_the_privacy_note_and_topic_buttons(
        bot: RunningBot, store: Store, language_code: str, welcome: str, privacy: str) -> None:
    reply = bot.command(CHAT, "/start", language_code)

    assert reply["parse_mode"] == "HTML"
    assert reply["text"].startswith(welcome)
    assert privacy in reply["text"]
    assert buttons(reply) == UNTICKED  # button labels are plain text: no escaping there
    assert stored_language(store, CHAT) is None  # /start alone stores nothing


def test_a_topic_button_follows_ticks_the_keyboard_and_a_second_tap_stops(
        bot: RunningBot, api: FakeBotApi, store: Store) -> None:
    keyboard = bot.command(CHAT, "/start", "ru")

    answer = bot.press(CHAT, "t:strikes", keyboard["message_id"], "ru")

    assert answer["text"] == "Вы подписаны: Strikes & <walkouts>"
    edited = api.message(CHAT, keyboard["message_id"])
    assert buttons(edited)[0] == ("✅ Strikes & <walkouts>", "t:strikes")
    assert buttons(edited)[1:] == UNTICKED[1:]
    assert stored_topics(store, CHAT) == ["strikes"]
    assert stored_language(store, CHAT) == "ru"  # first contact: from Telegram's language_code

    answer = bot.press(CHAT, "t:strikes", keyboard["message_id"], "ru")

    assert answer["text"] == "Вы отписались: Strikes & <walkouts>"
    assert buttons(api.message(CHAT, keyboard["message_id"])) == UNTICKED
    assert stored_topics(store, CHAT) == []


def test_a_button_for_a_topic_removed_from_the_config_says_so(bot: RunningBot) -> None:
    keyboard = bot.command(CHAT, "/topics")

    answer = bot.press(CHAT, "t:oil-prices", keyboard["message_id"])

    assert answer["text"] == "This topic is no longer watched."


def test_topics_shows_the_keyboard_with_the_chats_topics_ticked(bot: RunningBot, store: Store) -> None:
    with store.session() as session:
        subscribe(session, CHAT, "arrests")

    reply = bot.command(CHAT, "/topics", "kk")

    assert reply["text"].startswith("<b>Тақырыптар.</b>")
    assert "🚨 Шұғыл тақырып" in reply["text"]
    assert buttons(reply)[1] == ("✅ 🚨 Arrests of activists", "t:arrests")


def test_subscribe_and_unsubscribe_still_work_as_text(bot: RunningBot, store: Store) -> None:
    assert bot.command(CHAT, "/subscribe strikes")["text"] == (
        "Following <b>Strikes &amp; &lt;walkouts&gt;</b>. /unsubscribe strikes stops it.")
    assert bot.command(CHAT, "/subscribe STRIKES")["text"].startswith("You already follow")
    assert stored_topics(store, CHAT) == ["strikes"]

    assert bot.command(CHAT, "/unsubscribe strikes")["text"] == (
        "No longer following <b>Strikes &amp; &lt;walkouts&gt;</b>.")
    assert bot.command(CHAT, "/unsubscribe strikes")["text"].startswith("You did not follow")
    assert stored_topics(store, CHAT) == []


def test_an_unknown_topic_is_escaped_and_answered_with_the_keyboard(bot: RunningBot) -> None:
    reply = bot.command(CHAT, "/subscribe <b>oil</b>", "ru")

    assert reply["text"].startswith("Темы <code>&lt;b&gt;oil&lt;/b&gt;</code> нет.")
    assert buttons(reply) == UNTICKED


def test_lang_switches_the_bots_language_whatever_telegram_says(bot: RunningBot, store: Store) -> None:
    assert bot.command(CHAT, "/lang kk", "en")["text"] == "Дайын: енді сізге қазақша жазамын."
    assert stored_language(store, CHAT) == "kk"

    assert bot.command(CHAT, "/help", "en")["text"].startswith("<b>Командалар</b>")


def test_lang_without_a_code_offers_buttons_and_a_tap_answers_in_the_new_language(
        bot: RunningBot, api: FakeBotApi, store: Store) -> None:
    offer = bot.command(CHAT, "/lang", "en")
    assert offer["text"] == "Choose the bot's language:"
    assert buttons(offer) == [("Русский", "lang:ru"), ("Қазақша", "lang:kk"), ("English", "lang:en")]

    bot.press(CHAT, "lang:ru", offer["message_id"], "en")

    edited = api.message(CHAT, offer["message_id"])
    assert edited["text"] == "Готово: теперь я пишу вам по-русски."
    assert buttons(edited) == []
    assert stored_language(store, CHAT) == "ru"


def test_stop_asks_first_and_cancel_deletes_nothing(bot: RunningBot, api: FakeBotApi, store: Store) -> None:
    bot.command(CHAT, "/subscribe strikes", "kk")
    question = bot.command(CHAT, "/stop", "kk")
    assert question["text"].startswith("Дозор бұл чат туралы сақтағанның бәрін өшіру керек пе")
    assert buttons(question) == [("Иә, бәрін өшіру", "stop:yes"), ("Болдырмау", "stop:no")]

    bot.press(CHAT, "stop:no", question["message_id"], "kk")

    assert api.message(CHAT, question["message_id"])["text"] == "Ештеңе өшірілген жоқ."
    assert stored_topics(store, CHAT) == ["strikes"]


def test_stop_confirmed_deletes_everything_about_the_chat(bot: RunningBot, api: FakeBotApi, store: Store) -> None:
    bot.command(CHAT, "/lang ru")
    bot.command(CHAT, "/subscribe strikes")
    bot.command(CHAT, "/quiet 23:00-07:00")
    question = bot.command(CHAT, "/stop")

    bot.press(CHAT, "stop:yes", question["message_id"])

    done = api.message(CHAT, question["message_id"])
    assert done["text"] == ("Готово: всё, что хранилось об этом чате, удалено. Чтобы вернуться, "
                            "отправьте /start.")  # in the language the chat had chosen
    assert buttons(done) == []
    with store.session() as session:
        assert choices_of(session, CHAT) is None
        assert topics_of(session, CHAT) == []


def test_stop_when_nothing_is_stored_says_so(bot: RunningBot) -> None:
    assert bot.command(CHAT, "/stop")["text"] == "Dozor stores nothing about this chat."


def test_help_lists_every_command_and_operator_commands_only_to_operators(bot: RunningBot) -> None:
    subscriber = bot.command(CHAT, "/help")["text"]
    operator = bot.command(ADMIN, "/help")["text"]

    for command in ("/topics", "/latest", "/search", "/digest", "/quiet", "/mute", "/lang",
                    "/subscribe", "/unsubscribe", "/stop", "/help"):
        assert command in subscriber
    assert "/stats" not in subscriber and "/reload" not in subscriber
    assert operator.startswith(subscriber)
    for command in ("/stats", "/sources", "/reload"):
        assert command in operator


def test_the_command_menu_is_registered_in_each_language(api: FakeBotApi) -> None:
    async def publish_and_read() -> dict[str, list[tuple[str, str]]]:
        async with Bot(TOKEN, base_url=api.base_url) as telegram:
            await publish_menus(telegram)
            return {code: [(c.command, c.description) for c in await telegram.get_my_commands(language_code=code)]
                    for code in ("ru", "kk", "en", "")}

    menus = asyncio.run(publish_and_read())

    assert [name for name, _ in menus["ru"]] == ["topics", "latest", "search", "digest", "quiet", "mute",
                                                 "lang", "stop", "help"]
    assert menus["ru"][0] == ("topics", "выбрать темы (нажмите, чтобы подписаться или отписаться)")
    assert menus["kk"][-1] == ("help", "осы тізім")
    assert menus[""] == menus["en"]


GROUP, GROUP_ADMIN, MEMBER = -100200, 501, 502


def test_in_a_group_only_its_admins_change_the_topics_and_anyone_may_look(
        bot: RunningBot, api: FakeBotApi, store: Store) -> None:
    """getChatMember decides: a member's /subscribe, button tap and /stop are refused politely
    and change nothing; the admin's go through."""
    api.set_chat_admins(GROUP, {GROUP_ADMIN})
    keyboard = bot.command(GROUP, "/topics", user_id=MEMBER)  # looking is for everyone
    assert buttons(keyboard) == UNTICKED

    refused = bot.command(GROUP, "/subscribe strikes", user_id=MEMBER)
    assert refused["text"] == "In a group, only its admins can change what Dozor sends here."
    answer = bot.press(GROUP, "t:strikes", keyboard["message_id"], user_id=MEMBER)
    assert answer["text"] == "In a group, only its admins can change what Dozor sends here."
    assert answer["show_alert"] is True
    bot.command(GROUP, "/stop", user_id=MEMBER)
    assert stored_topics(store, GROUP) == []
    assert buttons(api.message(GROUP, keyboard["message_id"])) == UNTICKED

    bot.press(GROUP, "t:strikes", keyboard["message_id"], user_id=GROUP_ADMIN)
    assert stored_topics(store, GROUP) == ["strikes"]
    assert "Following" in bot.command(GROUP, "/subscribe arrests", user_id=GROUP_ADMIN)["text"]
    assert stored_topics(store, GROUP) == ["arrests", "strikes"]
