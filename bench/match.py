"""Benchmark: 1,000 terms over 10 MB of Russian and English news-like text, forms and folding included.

    .venv/bin/pip install -e '.[test,bench]'      # wordfreq: real word frequencies for the text
    .venv/bin/python bench/match.py                # the issue's numbers (results: docs/benchmarks.md)
    .venv/bin/python bench/match.py --mb 1 --re-mb 0.2   # a quick run
    .venv/bin/python bench/match.py --re-mb 0        # the re baseline over all 10 MB too (slow)
    .venv/bin/python bench/match.py --profile      # also cProfile Matcher.match over 1 MB

Text: ~2 KB articles (a title and a body) of sentences drawn from wordfreq's Russian and English
frequency lists (so common words are common and inflected forms appear as often as in real text),
a few Kazakh sentences, and place and people names in Latin, Russian and Kazakh spellings.

Terms: 1,000 (Russian nouns, verbs and adjectives as dictionary forms; English nouns and verbs as
lemmas; phrases, NEAR pairs, prefixes*, names) in 50 topics of 20, drawn from the same lists at
ranks where real topics live (not "и", not hapaxes). A second, disjoint 1,000 measures a rebuild
whose words were never expanded before.

Measured in CPU seconds of this process (time.process_time; the cold build in wall seconds):
1. cold build: the first Matcher in a fresh process, dictionaries loaded on the way;
2. rebuild: a Matcher for 1,000 new terms with the dictionaries warm; and the same terms again;
3. Matcher.match(title, text) per article over the whole text: MB/s of UTF-8;
4. the naive baseline: one compiled `re` alternation `\\b(?:form|form|stem\\w*|...)\\b` (IGNORECASE)
   of every expanded form of the same terms, finditer over title and text, on the first --re-mb
   of the same articles (default 1 MB: it runs at ~0.01 MB/s, so all 10 MB take ~17 minutes).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout, not installed

from monitor import word_forms  # noqa: E402
from monitor.config import TopicConfig  # noqa: E402
from monitor.match import Matcher  # noqa: E402
from monitor.rules import EXACT, PREFIX, Near, Phrase, Regex, parse_term  # noqa: E402

MB = 1024 * 1024
ARTICLE_BYTES = 2048
TOPICS, PER_TOPIC = 50, 20
VOCABULARY = 50_000
TERM_RANKS = (8_000, 50_000)  # topic words: specific enough to alert on, common enough to occur

NAMES = [  # (as written in terms, spellings that appear in the text)
    ("Aktau", ["Aktau", "Актау", "Ақтау", "Ақтауда", "Актау", "Aktau's", "Ақтаудағы"]),
    ("Zhanaozen", ["Zhanaozen", "Жанаозен", "Жаңаөзен", "Жаңаөзенде", "Жанаозене"]),
    ("Mangystau", ["Mangystau", "Мангистау", "Маңғыстау", "Мангыстау", "Маңғыстауда"]),
    ("Kazakhstan", ["Kazakhstan", "Казахстан", "Казахстане", "Қазақстан", "Қазақстанда"]),
    ("Almaty", ["Almaty", "Алматы", "Алматыда"]), ("Astana", ["Astana", "Астана", "Астане", "Астанада"]),
    ("Atyrau", ["Atyrau", "Атырау", "Атырауда"]), ("Karaganda", ["Karaganda", "Караганда", "Караганде"]),
    ("Shymkent", ["Shymkent", "Шымкент", "Шымкенте"]), ("Tokayev", ["Tokayev", "Токаев", "Тоқаев"]),
    ("Beineu", ["Beineu", "Бейнеу"]), ("Zhezkazgan", ["Zhezkazgan", "Жезказган", "Жезқазған"]),
    ("Temirtau", ["Temirtau", "Темиртау", "Теміртау"]), ("Pavlodar", ["Pavlodar", "Павлодар"]),
    ("Ekibastuz", ["Ekibastuz", "Экибастуз", "Екібастұз"]), ("Aktobe", ["Aktobe", "Актобе", "Ақтөбе"]),
]
KAZAKH = ("ереуіл ереуілге ереуілде жұмысшылар мұнайшылар кәсіподақ наразылық әкімдік жалақы талап "
          "етті қала облыс тұрғындар басталды жалғасып жатыр бүгін кеше полиция ұсталды сот шешім "
          "қамауға алынды мәлімдеді компания басшылығы келіссөздер жүргізілді жиналды алаңға "
          "белсенді журналист құқық қорғаушы айыппұл тағайындалды").split()


@dataclass(frozen=True)
class Article:
    title: str
    text: str

    @property
    def size(self) -> int:
        return len(self.title.encode()) + len(self.text.encode())


# ---- text ----


class Words:
    """Frequency-weighted words of one language, sampled reproducibly."""

    def __init__(self, language: str, rng: random.Random) -> None:
        from wordfreq import top_n_list, word_frequency

        self.words = [w for w in top_n_list(language, VOCABULARY) if w.isalpha()]
        weights = [word_frequency(w, language) for w in self.words]
        self.cumulative = list(_accumulate(weights))
        self.rng = rng

    def sample(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=k)


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def sentence(words: Words, rng: random.Random, low: int, high: int) -> str:
    if rng.random() < 0.04:  # a Kazakh sentence now and then
        picked = rng.choices(KAZAKH, k=rng.randint(5, 10))
    else:
        picked = words.sample(rng.randint(low, high))
    if rng.random() < 0.03:
        picked[rng.randrange(len(picked))] = rng.choice(rng.choice(NAMES)[1])
    if len(picked) > 6 and rng.random() < 0.4:
        picked[rng.randrange(2, len(picked) - 2)] += ","
    first = picked[0]
    picked[0] = first[:1].upper() + first[1:]
    return " ".join(picked) + rng.choice("....!?")


def articles(total_bytes: int, seed: int) -> list[Article]:
    rng = random.Random(seed)
    languages = {"ru": Words("ru", rng), "en": Words("en", rng)}
    out: list[Article] = []
    size = 0
    while size < total_bytes:
        words = languages["ru" if rng.random() < 0.6 else "en"]
        title = sentence(words, rng, 5, 10).rstrip(".")
        body: list[str] = []
        budget = ARTICLE_BYTES - len(title.encode())
        while budget > 0:
            line = sentence(words, rng, 6, 22)
            body.append(line)
            budget -= len(line.encode()) + 1
        if rng.random() < 0.5:  # paragraphs, as extracted page text has
            body.insert(len(body) // 2, "\n")
        article = Article(title, " ".join(body))
        out.append(article)
        size += article.size
    return out


# ---- terms ----


def terms(seed: int, sample_text: list[Article], count: int = TOPICS * PER_TOPIC) -> list[list[str]]:
    """Two disjoint sets of `count` terms (the second measures a rebuild of unseen words)."""
    import lemminflect
    import pymorphy3
    from wordfreq import top_n_list

    rng = random.Random(seed)
    morph = pymorphy3.MorphAnalyzer(lang="ru")
    low, high = TERM_RANKS

    def russian_lemma(word: str) -> str | None:
        parse = morph.parse(word)[0]
        if parse.tag.POS in {"NOUN", "VERB", "INFN", "ADJF", "PRTF"} and len(parse.normal_form) >= 4:
            return parse.normal_form
        return None

    def english_lemma(word: str) -> str | None:
        for upos in ("NOUN", "VERB"):
            lemmas = lemminflect.getAllLemmas(word, upos=upos).get(upos)
            if lemmas and len(lemmas[0]) >= 4:
                return lemmas[0]
        return None

    common = {language: top_n_list(language, low) for language in ("ru", "en")}
    too_common = set(common["ru"]) | set(common["en"])  # "получите" is rare, "получить" is not
    ru_words = [w for w in top_n_list("ru", high)[low:] if w.isalpha()]
    en_words = [w for w in top_n_list("en", high)[low:] if w.isalpha() and w.isascii()]
    rng.shuffle(ru_words)
    rng.shuffle(en_words)
    ru = [w for w in dict.fromkeys(filter(None, map(russian_lemma, ru_words))) if w not in too_common]
    en = [w for w in dict.fromkeys(filter(None, map(english_lemma, en_words))) if w not in too_common]
    lemma: dict[str, str | None] = {}
    kazakh = {w.lower() for w in KAZAKH} | {spelling.lower() for _, spellings in NAMES for spelling in spellings}

    def lemma_of(word: str) -> str | None:
        if word in kazakh:
            return None  # no dictionary for Kazakh: phrases come from Russian and English only
        if word not in lemma:
            lemma[word] = russian_lemma(word) if not word.isascii() else english_lemma(word)
        return lemma[word]

    # Phrases that occur: adjacent pairs from the text, written as dictionary forms.
    phrases, near = [], []
    for article in sample_text:
        tokens = re.findall(r"\w+", article.text.lower())
        if len(tokens) < 12:
            continue
        i = rng.randrange(len(tokens) - 8)
        first, second = lemma_of(tokens[i]), lemma_of(tokens[i + 1])
        if first and second:
            phrases.append(f"{first} {second}")
        far = lemma_of(tokens[i + rng.randint(3, 7)])
        if first and far and first != far and not {first, far} & too_common:
            near.append(f"{first} NEAR/5 {far}")
    phrases, near = list(dict.fromkeys(phrases)), list(dict.fromkeys(near))
    frequent = common["ru"][:3000] + common["en"][:3000]
    prefixes = [stem + "*" for stem in dict.fromkeys(w[:7] for w in ru + en if len(w) >= 10)
                if not any(word.startswith(stem) for word in frequent)]

    sets = []
    for part in range(2):
        chosen = [written for written, _ in NAMES] if part == 0 else []
        for pool, size in ((ru, 450), (en, 330), (phrases, 60), (near, 20)):
            chosen += pool[part * size:(part + 1) * size]
        missing = count - len(chosen)
        chosen += prefixes[part * missing:(part + 1) * missing]
        sets.append(chosen[:count])
    return sets


def topics(term_list: list[str]) -> list[TopicConfig]:
    return [TopicConfig(id=f"t{n:02d}", any=term_list[n * PER_TOPIC:(n + 1) * PER_TOPIC])
            for n in range(TOPICS) if term_list[n * PER_TOPIC:(n + 1) * PER_TOPIC]]


def alternation(term_list: list[str], expand) -> re.Pattern[str]:
    """The naive engine: every expanded form of every word of every term, in one `re`."""
    forms: set[str] = set()
    for raw in term_list:
        term = parse_term(raw)
        if isinstance(term, Regex):
            continue
        phrases = (term.left, term.right) if isinstance(term, Near) else (term,)
        for phrase in phrases:
            assert isinstance(phrase, Phrase)
            for word in phrase.words:
                if word.kind == PREFIX:
                    forms.add(re.escape(word.text) + r"\w*")
                elif word.kind == EXACT:
                    forms.add(re.escape(word.text))
                else:
                    forms |= {re.escape(f) for f in (word.text, *expand(word.as_written)) if f and " " not in f}
    body = "|".join(sorted(forms, key=len, reverse=True))
    return re.compile(rf"\b(?:{body})\b", re.IGNORECASE)


# ---- measuring ----


def timed(fn, *args):
    """(result, CPU seconds of this process): everything measured is single-threaded, and CPU time
    does not count the time other processes on a shared machine take."""
    start = time.process_time()
    result = fn(*args)
    return result, time.process_time() - start


_COLD = """
import json, sys, time
from monitor.config import TopicConfig
from monitor.match import Matcher
topics = [TopicConfig(**topic) for topic in json.load(open(sys.argv[1], encoding="utf-8"))]
start = time.perf_counter()
Matcher(topics)
print(time.perf_counter() - start)
"""


def cold_build(term_list: list[str]) -> float:
    """Wall seconds for the first Matcher in a new process: loading the dictionaries is partly
    reading files, which CPU time would not count."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as handle:
        json.dump([{"id": t.id, "any": t.any} for t in topics(term_list)], handle, ensure_ascii=False)
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        done = subprocess.run([sys.executable, "-c", _COLD, handle.name], capture_output=True, text=True,
                              env=env, check=True)
    finally:
        os.unlink(handle.name)
    return float(done.stdout.strip().splitlines()[-1])


def run_matcher(matcher: Matcher, texts: list[Article]) -> tuple[int, int]:
    hit_articles = matches = 0
    for article in texts:
        found = matcher.match(article.title, article.text)
        hit_articles += bool(found)
        matches += sum(len(t.matches) for t in found)
    return hit_articles, matches


def run_re(pattern: re.Pattern[str], texts: list[Article]) -> int:
    count = 0
    for article in texts:
        count += sum(1 for _ in pattern.finditer(article.title))
        count += sum(1 for _ in pattern.finditer(article.text))
    return count


def prefix_of(texts: list[Article], total_bytes: float) -> list[Article]:
    out, size = [], 0
    for article in texts:
        if size >= total_bytes:
            break
        out.append(article)
        size += article.size
    return out


def machine() -> list[str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    packages = []
    for name in ("pyahocorasick", "pymorphy3", "pymorphy3-dicts-ru", "pymorphy3-dicts-uk", "lemminflect",
                 "regex", "wordfreq"):
        try:
            packages.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            packages.append(f"{name} (not installed)")
    return [f"nproc {os.cpu_count()}, {model}", f"Python {platform.python_version()} ({platform.platform()})",
            ", ".join(packages)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=10, help="MB of text to match (default 10)")
    parser.add_argument("--re-mb", type=float, default=1.0,
                        help="MB of the same text for the re baseline (default 1; 0 = all of it, ~20 min)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="cProfile Matcher.match over 1 MB")
    args = parser.parse_args()

    print("machine:", *machine(), sep="\n  ")
    texts, seconds = timed(articles, int(args.mb * MB), args.seed)
    total = sum(a.size for a in texts)
    chars = sum(len(a.title) + len(a.text) for a in texts)
    print(f"text: {len(texts):,} articles, {total / MB:.1f} MB UTF-8, {chars / 1e6:.1f} M characters "
          f"(generated in {seconds:.1f} s)")
    first, fresh = terms(args.seed, texts[:400])
    print(f"terms: {len(first):,} in {len(topics(first))} topics; e.g. {', '.join(first[::97][:10])}")

    # 1-2: building
    cold_s = cold_build(first)
    matcher, warm_s = timed(Matcher, topics(first))  # this process's first: loads the dictionaries
    expand = word_forms.default_expander()
    _, fresh_s = timed(Matcher, topics(fresh))
    _, same_s = timed(Matcher, topics(first))
    print(f"build: cold {cold_s:.2f} s (a fresh process: dictionaries loaded on the way); rebuild with warm "
          f"dictionaries: {fresh_s:.2f} s for 1,000 unseen terms, {same_s:.2f} s for the same terms again; "
          f"{matcher.size:,} automaton keys")

    # 3: the matcher
    (hit_articles, matches), match_s = timed(run_matcher, matcher, texts)
    mbps = total / MB / match_s
    print(f"Matcher.match: {match_s:.2f} s, {mbps:.1f} MB/s; {hit_articles:,} of {len(texts):,} articles "
          f"hit a topic, {matches:,} matches ({matches / len(texts):.1f} per article)")

    # 4: the re alternation
    pattern, compile_s = timed(alternation, first, expand)
    re_texts = prefix_of(texts, args.re_mb * MB) if args.re_mb else texts
    re_total = sum(a.size for a in re_texts)
    re_found, re_s = timed(run_re, pattern, re_texts)
    re_mbps = re_total / MB / re_s
    print(f"re alternation: {pattern.pattern.count('|') + 1:,} alternatives, compiled in {compile_s:.2f} s; "
          f"{re_s:.2f} s over {re_total / MB:.2f} MB, {re_mbps:.2f} MB/s ({re_found:,} words found)")

    ratio = mbps / re_mbps
    print("\ntargets (issue 4):")
    print(f"  throughput {mbps:.1f} MB/s ≥ 20 MB/s: {'met' if mbps >= 20 else 'MISSED'}")
    print(f"  {ratio:.1f}× the re alternation ≥ 5×: {'met' if ratio >= 5 else 'MISSED'}")
    print(f"  rebuild {fresh_s:.2f} s < 1 s: {'met' if fresh_s < 1 else 'MISSED'}")

    if args.profile:
        sample = prefix_of(texts, MB)
        profiler = cProfile.Profile()
        profiler.runcall(run_matcher, matcher, sample)
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
        print("\nprofile of Matcher.match over 1 MB (by own time):")
        print("\n".join(stream.getvalue().splitlines()[4:]))
        # Diagnostic only (a private method): folding plus the automaton pass, without evaluating
        # topics, is the most that evaluating only the topics whose words were found could reach.
        _, scan_s = timed(lambda: [(matcher._scan("title", a.title), matcher._scan("text", a.text)) for a in texts])
        print(f"fold + automaton pass alone (Matcher._scan, no topic evaluation): {total / MB / scan_s:.1f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
