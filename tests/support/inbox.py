"""What the fake Bot API recorded, read the way the crash and outage tests need it."""

from __future__ import annotations

from tests.support.fake_telegram import FakeBotApi


def titles_to(api: FakeBotApi, chat: int) -> list[str]:
    """The headline of each alert the chat got, in order (an alert's second line, in bold)."""
    return [m["text"].split("\n")[1].removeprefix("<b>").removesuffix("</b>") for m in api.messages_to(chat)]


def sends_in_flight(api: FakeBotApi) -> int:
    """sendMessage calls the fake took and has not answered yet (it is "hanging")."""
    calls = sum(1 for method, _ in api.calls if method == "sendMessage")
    failed = sum(1 for f in api.failures if f["method"] == "sendMessage")
    return calls - len(api.sent) - failed
