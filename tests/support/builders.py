"""Small factories for test data (like PTB's message factories)."""

from __future__ import annotations

from monitor.match import TermMatch, TopicMatch


def topic_match(topic_id: str, *terms: str) -> TopicMatch:
    """A TopicMatch as if each term had been found once in the title."""
    return TopicMatch(topic_id, tuple(TermMatch(t, t, "title", 0, len(t)) for t in terms))
