"""The term syntax operators write in config.yaml, parsed into a small tree (docs/rules.md).

    word            the word and its forms and spellings
    "exact form"    that form only (still case-insensitive); several words make an exact phrase
    prefix*         any word starting so
    several words   a phrase: each word with its forms, in order, adjacent
    a NEAR/5 b      both within 5 words of each other, either order
    /regex/         an escape hatch, run with a time limit

`parse_term` raises `TermError` with what is wrong and how to write it instead; config validation
turns that into `config.yaml:LINE topics[i].any[j]: ...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from monitor.fold import fold

FORMS, EXACT, PREFIX = "forms", "exact", "prefix"
MAX_NEAR = 50
MAX_REGEX = 300
_WORD = re.compile(r"\w+")
_NEAR = re.compile(r"\s+NEAR/(\S*)\s+")
_MIN_PREFIX = 3  # "a*" would match half the language


class TermError(ValueError):
    """A term that cannot be compiled; the message says how to fix it."""


@dataclass(frozen=True)
class WordPattern:
    """One word of a term: `text` is folded; `as_written` is the operator's spelling."""

    kind: str
    text: str
    as_written: str


@dataclass(frozen=True)
class Phrase:
    """One word, or words that must follow each other."""

    words: tuple[WordPattern, ...]


@dataclass(frozen=True)
class Near:
    left: Phrase
    right: Phrase
    distance: int


@dataclass(frozen=True)
class Regex:
    pattern: str


Term = Phrase | Near | Regex


def parse_term(raw: str) -> Term:
    """Parse one term as written in config.yaml."""
    text = raw.strip()
    if not text:
        raise TermError("empty term")
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        return _regex(text[1:-1])
    if " NEAR/" in text or text.startswith("NEAR/") or text.endswith(("NEAR", "NEAR/")):
        return _near(text)
    return _phrase(text)


def _regex(pattern: str) -> Regex:
    if not pattern:
        raise TermError("empty /regex/")
    if len(pattern) > MAX_REGEX:
        raise TermError(f"regex longer than {MAX_REGEX} characters; split it into several terms")
    try:
        regex.compile(pattern, regex.IGNORECASE)
    except regex.error as exc:
        raise TermError(f"invalid regex: {exc}") from None
    return Regex(pattern)


def _near(text: str) -> Near:
    parts = _NEAR.split(f" {text} ")
    if len(parts) != 3 or not parts[0].strip() or not parts[2].strip():
        raise TermError("write NEAR as `left NEAR/5 right`: two terms around one NEAR/<number>")
    left, number, right = parts
    if not number.isdigit() or not 1 <= int(number) <= MAX_NEAR:
        raise TermError(f"NEAR needs a distance from 1 to {MAX_NEAR} words, as in `strike NEAR/5 Aktau`")
    return Near(_phrase(left.strip()), _phrase(right.strip()), int(number))


def _phrase(text: str) -> Phrase:
    if text.startswith('"') or text.endswith('"'):
        if len(text) < 2 or not (text.startswith('"') and text.endswith('"')) or '"' in text[1:-1]:
            raise TermError('unbalanced quotes: write an exact form as "form" (quotes around the whole term)')
        words = _words(text[1:-1], exact=True)
    else:
        if '"' in text:
            raise TermError('quotes must enclose the whole term: "exact form"')
        words = _words(text, exact=False)
    return Phrase(tuple(words))


def _words(text: str, exact: bool) -> list[WordPattern]:
    pieces = text.split()
    if not pieces:
        raise TermError("empty term")
    out: list[WordPattern] = []
    for piece in pieces:
        star = piece.endswith("*") and not exact
        core = piece[:-1] if star else piece
        if "*" in core:
            raise TermError(f"'*' may only end a word, as in arrest*; found in {piece!r}")
        tokens = _WORD.findall(fold(core))
        if not tokens:
            raise TermError(f"{piece!r} has no letters or digits to match")
        for index, token in enumerate(tokens):
            last = index == len(tokens) - 1
            kind = PREFIX if star and last else (EXACT if exact else FORMS)
            if kind == PREFIX and len(token) < _MIN_PREFIX:
                raise TermError(f"prefix {piece!r} is too short: give at least {_MIN_PREFIX} letters before '*'")
            written = core if len(tokens) == 1 else token
            out.append(WordPattern(kind, token, written))
    return out


def check_term(raw: str) -> str | None:
    """None when the term is valid, else the reason (for config validation)."""
    try:
        parse_term(raw)
    except TermError as exc:
        return str(exc)
    return None
