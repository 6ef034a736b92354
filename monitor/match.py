"""Match articles against topics: case-insensitive whole words and phrases.

This is the thin first matcher (ё = е, never inside another word). The rule language with word
forms, scripts and operators replaces it behind the same `Matcher.match` call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.config import TopicConfig


@dataclass(frozen=True)
class TopicMatch:
    topic_id: str
    terms: tuple[str, ...]


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


class Matcher:
    """Topics compiled once; `match(title, text)` returns the topics that fire."""

    def __init__(self, topics: list[TopicConfig]) -> None:
        self._topics = [(topic.id, *_compile(topic.any)) for topic in topics]

    def match(self, title: str, text: str) -> list[TopicMatch]:
        haystack = _fold(f"{title}\n{text}")
        out = []
        for topic_id, pattern, term_of in self._topics:
            # A phrase may span a line break or double space: look it up single-spaced.
            found = {term_of[" ".join(m.group(0).split())] for m in pattern.finditer(haystack)}
            if found:
                out.append(TopicMatch(topic_id, tuple(sorted(found))))
        return out


def _compile(terms: list[str]) -> tuple[re.Pattern[str], dict[str, str]]:
    term_of: dict[str, str] = {}
    for term in terms:
        term_of.setdefault(" ".join(_fold(term).split()), term)
    # Longest first, so a phrase wins over a word it starts with.
    forms = sorted(term_of, key=len, reverse=True)
    body = "|".join(re.escape(form).replace(r"\ ", r"\s+") for form in forms)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)"), term_of
