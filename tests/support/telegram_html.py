"""Telegram's HTML parse mode, checked the way the Bot API does, for the fake Bot API.

https://core.telegram.org/bots/api#html-style: only the tags below; every `<`, `>` and `&` that
is not part of a tag or an entity must be escaped; only `&lt; &gt; &amp; &quot;` and numeric
entities exist; tags must nest. A message may hold 4096 characters once entities are parsed.
`visible_text` returns that text, or raises `HtmlError` with Telegram's wording.
"""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

MAX_TEXT = 4096
TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
                  "a", "tg-emoji", "code", "pre", "blockquote"})
ENTITIES = frozenset({"lt", "gt", "amp", "quot"})


class HtmlError(ValueError):
    """What Telegram answers for HTML it cannot parse (after "Bad Request: ")."""


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            raise HtmlError(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise HtmlError(f'can\'t parse entities: Unsupported start tag "{tag}/"')

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise HtmlError(f'can\'t parse entities: Unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data or "&" in data:
            raise HtmlError("can't parse entities: unescaped <, > or & in text")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ENTITIES:
            raise HtmlError(f'can\'t parse entities: Unsupported HTML entity "&{name};"')
        self.text.append(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise HtmlError("can't parse entities: comments are not supported")

    def unknown_decl(self, data: str) -> None:
        raise HtmlError("can't parse entities: declarations are not supported")


def visible_text(html: str) -> str:
    """The text a reader sees, or HtmlError when Telegram would refuse the HTML."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    if checker.rawdata:  # something the parser could not finish, e.g. "<b"
        raise HtmlError("can't parse entities: unfinished tag")
    if checker.open:
        raise HtmlError(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{checker.open[-1]}"')
    return "".join(checker.text)
