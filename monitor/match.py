"""Match articles against topics at automaton speed.

Every word of every term is expanded, when the rules are compiled, into its folded forms and
spellings (`monitor.forms`), and all of them go into one Aho-Corasick automaton. A field's text is
folded once and the automaton runs over it; a hit counts only where it is a whole word (the
characters around it are not letters or digits), so `Aktau` never fires inside "сақтау", and a
prefix such as `арешт*` only needs the word to start there (not "нарешті"). Phrases and NEAR are
then checked on word positions; /regex/ terms run with a time limit.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

import ahocorasick
import regex

from monitor.config import TopicConfig
from monitor.fold import Folded, fold_with_offsets
from monitor.rules import EXACT, PREFIX, Near, Phrase, Regex, Term, WordPattern, parse_term
from monitor.word_forms import Expand, default_forms

log = logging.getLogger(__name__)

FIELDS = ("title", "text")
SNIPPET_CHARS = 200
REGEX_TIMEOUT = 0.05  # seconds per field: a pathological pattern gives up instead of stalling
_WORD_RUN = re.compile(r"\w+")

@dataclass(frozen=True)
class TermMatch:
    """One occurrence: the term as written, the text found, and where (offsets into the field)."""

    term: str
    found: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class Snippet:
    """About 200 characters around the first match; `marks` are spans to show in bold."""

    text: str
    field: str
    marks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class TopicMatch:
    topic_id: str
    matches: tuple[TermMatch, ...] = ()
    snippet: Snippet | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(sorted({m.term for m in self.matches}))


@dataclass
class _Compiled:
    raw: str
    term: Term
    trigger: int | None = None  # a pattern that must have hit for the term to match (not regex)


@dataclass
class _Topic:
    id: str
    fields: tuple[str, ...]
    any: list[_Compiled]
    all: list[list[_Compiled]]
    none: list[_Compiled]


@dataclass
class _Field:
    """One field of one article, scanned: pattern id → [folded spans of its whole-word hits]."""

    name: str
    original: str
    folded: Folded
    hits: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))

    def next_word(self, position: int) -> int | None:
        """Where the first word at or after `position` starts."""
        found = _WORD_RUN.search(self.folded.text, position)
        return found.start() if found else None

    def words_between(self, start: int, end: int) -> int:
        return len(_WORD_RUN.findall(self.folded.text, start, end))

    def found(self, start: int, end: int) -> tuple[str, int, int]:
        o_start, o_end = self.folded.original_span(start, end)
        return self.original[o_start:o_end], o_start, o_end


class Matcher:
    """Topics compiled once; `match(title, text)` returns the topics that fire, with evidence."""

    def __init__(self, topics: list[TopicConfig], expand: Expand | None = None) -> None:
        """`expand` gives a word's forms; by default the process's `WordForms`, whose dictionaries
        are released once the topics are compiled: the Matcher keeps only its automaton."""
        self._patterns: dict[tuple[str, str, str], int] = {}
        self._keys: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        if expand is not None:
            self._topics = self._compile(topics, expand)
        else:
            with default_forms().loaded() as forms:
                self._topics = self._compile(topics, forms)
        self._triggers, self._always = self._index_triggers()
        self._automaton = self._build()

    # ---- compiling ----

    def _compile(self, topics: list[TopicConfig], expand: Expand) -> list[_Topic]:
        self._expand = expand
        try:
            return [self._topic(topic) for topic in topics]
        finally:
            del self._expand  # nothing keeps the expander (and its dictionaries) alive

    def _topic(self, topic: TopicConfig) -> _Topic:
        return _Topic(
            id=topic.id,
            fields=tuple(topic.fields),
            any=[self._term(raw) for raw in topic.any],
            all=[[self._term(raw) for raw in group] for group in topic.all],
            none=[self._term(raw) for raw in topic.not_],
        )

    def _term(self, raw: str) -> _Compiled:
        term = parse_term(raw)
        if isinstance(term, Regex):
            return _Compiled(raw, term)
        phrases = (term.left, term.right) if isinstance(term, Near) else (term,)
        pids = [self._pattern(word) for phrase in phrases for word in phrase.words]
        return _Compiled(raw, term, trigger=pids[0])

    def _pattern(self, word: WordPattern) -> int:
        key = (word.kind, word.text, word.as_written)
        if key in self._patterns:
            return self._patterns[key]
        pid = len(self._patterns)
        self._patterns[key] = pid
        if word.kind == PREFIX:
            self._keys[word.text].append((pid, True))
            return pid
        forms = {word.text} if word.kind == EXACT else {word.text, *self._expand(word.as_written)}
        for form in forms:
            if form and " " not in form:
                self._keys[form].append((pid, False))
        return pid

    def _index_triggers(self) -> tuple[dict[int, list[tuple[int, _Compiled]]], dict[int, list[_Compiled]]]:
        """Which `any` terms a pattern's hit can fire, so an article only evaluates those; regex
        terms have no pattern and are always tried."""
        triggers: dict[int, list[tuple[int, _Compiled]]] = defaultdict(list)
        always: dict[int, list[_Compiled]] = defaultdict(list)
        for index, topic in enumerate(self._topics):
            for compiled in topic.any:
                if compiled.trigger is None:
                    always[index].append(compiled)
                else:
                    triggers[compiled.trigger].append((index, compiled))
        return dict(triggers), dict(always)

    def _pid(self, word: WordPattern) -> int:
        return self._patterns[(word.kind, word.text, word.as_written)]

    def _build(self) -> ahocorasick.Automaton | None:
        if not self._keys:
            return None
        automaton = ahocorasick.Automaton()
        for key, entries in self._keys.items():
            automaton.add_word(key, (len(key), tuple(entries)))
        automaton.make_automaton()
        return automaton

    @property
    def size(self) -> int:
        """Keys in the automaton (forms and spellings of every word of every term)."""
        return len(self._keys)

    # ---- matching ----

    def match(self, title: str, text: str) -> list[TopicMatch]:
        fields = {"title": self._scan("title", title), "text": self._scan("text", text)}
        live: dict[int, list[_Compiled]] = {index: list(terms) for index, terms in self._always.items()}
        for pid in fields["title"].hits.keys() | fields["text"].hits.keys():
            for index, compiled in self._triggers.get(pid, ()):
                live.setdefault(index, []).append(compiled)
        out = []
        for index in sorted(live):
            result = self._evaluate(self._topics[index], live[index], fields)
            if result is not None:
                out.append(result)
        return out

    def _scan(self, name: str, value: str) -> _Field:
        original = value or ""
        if not unicodedata.is_normalized("NFC", original):
            original = unicodedata.normalize("NFC", original)
        folded = fold_with_offsets(original)
        scanned = _Field(name, original, folded)
        if self._automaton is None or not original:
            return scanned
        text = folded.text
        size = len(text)
        hits = scanned.hits
        for last, (length, entries) in self._automaton.iter(text):
            start = last - length + 1
            if start and ((before := text[start - 1]).isalnum() or before == "_"):
                continue  # inside a longer word: "актау" in "сактау"
            after = text[last + 1] if last + 1 < size else " "
            whole = not (after.isalnum() or after == "_")
            for pid, is_prefix in entries:
                if is_prefix:
                    hits[pid].append((start, last + 1 if whole else _WORD_RUN.match(text, start).end()))
                elif whole:
                    hits[pid].append((start, last + 1))
        return scanned

    def _evaluate(self, topic: _Topic, live: list[_Compiled], fields: dict[str, _Field]) -> TopicMatch | None:
        """`live` are the topic's `any` terms whose first word occurs somewhere in the article."""
        scope = [fields[name] for name in topic.fields]
        found = [m for term in live for m in self._occurrences(term, scope)]
        if not found:
            return None
        for group in topic.all:
            group_found = [m for term in group for m in self._occurrences(term, scope)]
            if not group_found:
                return None
            found.extend(group_found)
        if any(self._occurrences(term, scope) for term in topic.none):
            return None
        found.sort(key=lambda m: (FIELDS.index(m.field), m.start))
        return TopicMatch(topic.id, tuple(found), _snippet(found, fields))

    def _occurrences(self, compiled: _Compiled, scope: list[_Field]) -> list[TermMatch]:
        out = []
        for scanned in scope:
            if compiled.trigger is not None and compiled.trigger not in scanned.hits:
                continue
            for start, end in self._spans(compiled, scanned):
                text, o_start, o_end = scanned.found(start, end)
                out.append(TermMatch(compiled.raw, text, scanned.name, o_start, o_end))
        return out

    def _spans(self, compiled: _Compiled, scanned: _Field) -> list[tuple[int, int]]:
        term = compiled.term
        if isinstance(term, Regex):
            return _regex_spans(term, compiled.raw, scanned)
        if isinstance(term, Near):
            return self._near_spans(term, scanned)
        return self._phrase_at(term, scanned)

    def _phrase_at(self, phrase: Phrase, scanned: _Field) -> list[tuple[int, int]]:
        """Folded spans where the phrase's words follow each other (punctuation aside)."""
        first = scanned.hits.get(self._pid(phrase.words[0]))
        if not first or len(phrase.words) == 1:
            return list(first or ())
        later = [{start: end for start, end in scanned.hits.get(self._pid(word), ())}
                 for word in phrase.words[1:]]
        if not all(later):
            return []
        out = []
        for start, end in first:
            for ends_by_start in later:
                nxt = scanned.next_word(end)
                if nxt is None or nxt not in ends_by_start:
                    break
                end = ends_by_start[nxt]
            else:
                out.append((start, end))
        return out

    def _near_spans(self, near: Near, scanned: _Field) -> list[tuple[int, int]]:
        lefts = self._phrase_at(near.left, scanned)
        rights = self._phrase_at(near.right, scanned) if lefts else []
        out = set()
        for left in lefts:
            for right in rights:
                first, second = sorted((left, right))
                if first[1] <= second[0] and scanned.words_between(first[1], second[0]) <= near.distance:
                    out.add((first[0], second[1]))
        return sorted(out)


def _regex_spans(term: Regex, raw: str, scanned: _Field) -> list[tuple[int, int]]:
    """Regexes run on the folded text, so they see what the other terms see (ё = е, қ = к)."""
    pattern = _compiled_regex(term.pattern)
    try:
        return [m.span() for m in pattern.finditer(scanned.folded.text, timeout=REGEX_TIMEOUT)]
    except TimeoutError:
        log.warning("term %s gave up after %ss on one %s; simplify the regex", raw, REGEX_TIMEOUT, scanned.name)
        return []


@cache
def _compiled_regex(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.IGNORECASE)


def _snippet(found: list[TermMatch], fields: dict[str, _Field]) -> Snippet:
    """Around the first match in the text (the title is shown anyway), else in the title."""
    in_text = [m for m in found if m.field == "text"]
    chosen = in_text or found
    first = chosen[0]
    source = fields[first.field].original
    half = SNIPPET_CHARS // 2
    start = max(0, first.start - half)
    end = min(len(source), max(first.end, start + SNIPPET_CHARS))
    if start > 0:
        space = source.find(" ", start, first.start)
        start = space + 1 if space != -1 else start
    if end < len(source):
        space = source.rfind(" ", first.end, end)
        end = space if space != -1 else end
    marks = _merged(sorted({(m.start - start, m.end - start) for m in chosen
                            if m.start >= start and m.end <= end}))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(source) else ""
    shift = len(prefix)
    return Snippet(prefix + source[start:end] + suffix, first.field,
                   tuple((s + shift, e + shift) for s, e in marks))


def _merged(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Overlapping marks (a phrase and a word inside it) become one."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)
