"""`dozor match` and `dozor backtest`: try the topics' rules on text, and on the articles already stored.

    dozor match --text "Нефтяники Жаңаөзена объявили забастовку"     a readable look
    dozor match < articles.jsonl > matches.jsonl                        JSON lines in, JSON lines out
    dozor backtest --config config.new.yaml --since 30d                 what an edit would add/remove

`dozor match` exits 0 when every input line was usable, 1 when some were not (each named on
stderr; the rest are still matched), 2 when the config is invalid. `dozor backtest` compares the
rules in --config with the config the service runs (see `_baseline_path` and docs/rules.md).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from monitor.backtest import (
    Backtest,
    Sample,
    StoredArticle,
    TopicResult,
    count_articles,
    days,
    run_backtest,
    stored_articles,
)
from monitor.config import DEFAULT_CONFIG, Config, Environment, TopicConfig, parse_duration
from monitor.match import Matcher, TopicMatch

EXIT_BAD_LINES = 1
REQUIRED = ("id", "title", "text")
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60  # longer windows are summed into this many columns

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", show_default=False, help="Config file (else $DOZOR_CONFIG, else ./config.yaml).")]


# ---- dozor match ----


def match_command(
    config: ConfigOption = None,
    text: Annotated[str | None, typer.Option("--text", help="Match this text and show the result readably "
                                             "(stdin is not read).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="A title to go with --text.")] = None,
) -> None:
    """Match JSON lines {"id", "title", "text"} from stdin against the topics; one JSON line out per line in."""
    from monitor.cli import _load  # cli imports this module at its end: import back lazily

    loaded, _, _ = _load(config)
    matcher = Matcher(loaded.topics)
    if text is not None or title is not None:
        Console().print(_readable(loaded, matcher, title or "", text or ""))
        return
    if sys.stdin.isatty():
        typer.echo("reading JSON lines from stdin (Ctrl-D ends); for a quick look use --text", err=True)
    bad = match_lines(matcher, typer.get_binary_stream("stdin"), typer.get_binary_stream("stdout"))
    if bad:
        raise typer.Exit(EXIT_BAD_LINES)


def match_lines(matcher: Matcher, lines: IO[bytes], out: IO[bytes]) -> int:
    """Match each line as it arrives and flush its answer; returns how many lines were unusable."""
    bad = 0
    for number, raw in enumerate(iter(lines.readline, b""), start=1):
        if not raw.strip():
            continue  # a blank line (often the last) is not an article
        try:
            article = _article(raw)
        except ValueError as exc:
            bad += 1
            typer.echo(f"line {number}: {exc}; skipped", err=True)
            continue
        result = matcher.match(article["title"] or "", article["text"] or "")
        try:
            out.write(json.dumps(match_record(article["id"], result), ensure_ascii=False).encode() + b"\n")
            out.flush()
        except BrokenPipeError:  # `dozor match < big.jsonl | head`: the reader has had enough
            _silence_stdout()
            return bad
    return bad


def _article(raw: bytes) -> dict[str, Any]:
    try:
        article = json.loads(raw.decode("utf-8").strip())  # stripped: error columns count from the line's start
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(article, dict):
        raise ValueError('expected a JSON object {"id", "title", "text"}')
    missing = [key for key in REQUIRED if key not in article]
    if missing:
        raise ValueError("missing " + ", ".join(f'"{key}"' for key in missing))
    for key in ("title", "text"):
        if not isinstance(article[key], str | None):
            raise ValueError(f'"{key}" must be a string (or null), got {type(article[key]).__name__}')
    return article


def match_record(article_id: Any, result: list[TopicMatch]) -> dict[str, Any]:
    """The JSON answer for one article: topics, every match, and each topic's snippet."""
    return {
        "id": article_id,
        "topics": [m.topic_id for m in result],
        "matches": [{"topic": m.topic_id, "term": t.term, "found": t.found, "field": t.field,
                     "start": t.start, "end": t.end} for m in result for t in m.matches],
        "snippets": {m.topic_id: {"text": m.snippet.text, "field": m.snippet.field,
                                  "marks": [list(mark) for mark in m.snippet.marks]}
                     for m in result if m.snippet},
    }


def _silence_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's last flush does not raise again.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _readable(config: Config, matcher: Matcher, title: str, text: str) -> Group:
    result = matcher.match(title, text)
    if not result:
        return Group(Text(f"No topic matched ({len(config.topics)} topics, "
                          f"{matcher.size:,} word forms in the automaton).", style="yellow"))
    parts: list[Any] = [Text(f"{len(result)} of {len(config.topics)} topics matched", style="bold")]
    for match in result:
        topic = config.topic(match.topic_id)
        head = Text(f"\n{match.topic_id}", style="bold green")
        if topic and topic.title:
            head.append(f" · {topic.title}", style="green")
        if topic and topic.priority == "urgent":
            head.append(" · urgent", style="bold red")
        parts.append(head)
        table = Table(show_header=True, box=None, padding=(0, 2, 0, 2))
        for column in ("term", "found", "field", "span"):
            table.add_column(column)
        for m in match.matches:
            table.add_row(Text(m.term), Text(m.found, style="bold"), m.field, f"{m.start}–{m.end}")
        parts.append(table)
        if match.snippet:
            snippet = match.snippet
            parts.append(Text.assemble(f"  snippet ({snippet.field}): ", _marked(snippet.text, snippet.marks)))
    return Group(*parts)


def _marked(text: str, marks: Iterable[tuple[int, int]]) -> Text:
    out = Text(text)
    for start, end in marks:
        out.stylize("bold reverse", start, end)
    return out


# ---- dozor backtest ----


def backtest_command(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", show_default=False,
        help="The rules to try, e.g. an edited copy of config.yaml "
             "(else $DOZOR_CONFIG, else ./config.yaml).")] = None,
    against: Annotated[Path | None, typer.Option(
        "--against", show_default=False,
        help="The rules to compare with (else the service's config: $DOZOR_CONFIG, else ./config.yaml, "
             "when that is another file than --config).")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic id.")] = None,
    since: Annotated[str, typer.Option(
        "--since", help="How far back: 30d, 12h, 2d12h … (by fetch time).")] = "30d",
    samples: Annotated[int, typer.Option("--samples", min=0, help="Sample hits to show per topic and kind.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")] = False,
) -> None:
    """Run the rules over stored articles: hits per day, samples, and what an edit adds and removes."""
    from monitor.cli import _open_store

    window = _window(since)
    rules, baseline, env = _configs(config, against)
    rule_topics, base_topics = _chosen_topics(rules, baseline, topic)
    # The articles are the service's: read the database its config names (a copy of the config
    # kept in another folder would otherwise resolve a relative sqlite path somewhere else).
    db = baseline or rules
    store = _open_store(db.config, db.path, env)
    now = datetime.now(timezone.utc)
    start = now - window
    try:
        articles = _with_progress(stored_articles(store, start), count_articles(store, start))
        order = list(dict.fromkeys([t.id for t in rule_topics] + [t.id for t in base_topics]))
        result = run_backtest(articles, Matcher(rule_topics), Matcher(base_topics) if baseline else None,
                              topic_ids=order, samples=samples)
    finally:
        store.close()
    paths = (rules.path, baseline.path if baseline else None)
    if as_json:
        print(json.dumps(backtest_summary(result, start, now, paths), ensure_ascii=False, indent=2))
    else:
        Console().print(_report(result, start, now, paths, single=topic is not None))


@dataclass(frozen=True)
class _Loaded:
    config: Config
    path: Path


def _configs(config: Path | None, against: Path | None) -> tuple[_Loaded, _Loaded | None, Environment]:
    """The rules to try and the rules to compare with (None: nothing to compare with)."""
    from monitor.cli import _load

    loaded, path, env = _load(config)
    base_path = _baseline_path(against, path, env)
    if config is not None and against is None and base_path is None:
        live = env.config or DEFAULT_CONFIG
        why = "does not exist" if not live.is_file() else "is the file under test"
        _note(f"not comparing: the service's config {live} {why} (pass --against CURRENT.yaml)")
    baseline = _Loaded(_load(base_path)[0], base_path) if base_path else None
    return _Loaded(loaded, path), baseline, env


def _chosen_topics(rules: _Loaded, baseline: _Loaded | None,
                   only: str | None) -> tuple[list[TopicConfig], list[TopicConfig]]:
    def chosen(loaded: _Loaded | None) -> list[TopicConfig]:
        return [t for t in loaded.config.topics if only is None or t.id == only] if loaded else []

    ours, theirs = chosen(rules), chosen(baseline)
    if only and not ours and not theirs:
        known = sorted({t.id for loaded in (rules, baseline) if loaded for t in loaded.config.topics})
        files = " or ".join(str(loaded.path) for loaded in (rules, baseline) if loaded)
        raise typer.BadParameter(f"no topic {only!r} in {files}; topics: {', '.join(known)}",
                                 param_hint="--topic")
    return ours, theirs


def _window(since: str) -> timedelta:
    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None
    if window <= timedelta(0):
        raise typer.BadParameter("expected a positive duration such as 30d", param_hint="--since")
    return window


def _baseline_path(against: Path | None, rules_path: Path, env: Environment) -> Path | None:
    """--against PATH; else the service's config ($DOZOR_CONFIG, else ./config.yaml) unless that is
    the file under test or does not exist (then there is nothing to compare with)."""
    if against is not None:
        return against
    live = env.config or DEFAULT_CONFIG
    if not live.is_file() or (rules_path.is_file() and live.resolve() == rules_path.resolve()):
        return None
    return live


def _note(line: str) -> None:
    Console(stderr=True, soft_wrap=True).print(line, style="yellow", markup=False, highlight=False)


def _with_progress(articles: Iterator[StoredArticle], total: int) -> Iterator[StoredArticle]:
    """Pass the articles through, advancing a progress bar on stderr (shown on a terminal only)."""
    console = Console(stderr=True)
    columns = (TextColumn("matching articles"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("match", total=total)
        for article in articles:
            yield article
            progress.advance(task)


def backtest_summary(result: Backtest, start: datetime, end: datetime,
                     paths: tuple[Path, Path | None]) -> dict[str, Any]:
    """The --json document: the window, the configs, and per topic counts, days and samples.

    With a comparison, `hits`/`per_day` are under --config's rules and `current_*` under --against's."""
    window = days(start, end)
    topics = []
    for topic in result.topics.values():
        entry: dict[str, Any] = {
            "id": topic.topic_id, "hits": topic.hits,
            "per_day": {day.isoformat(): topic.per_day.get(day, 0) for day in window},
            "samples": [s.as_dict() for s in topic.samples],
        }
        if result.compared:
            entry |= {"current_hits": topic.baseline_hits,
                      "current_per_day": {day.isoformat(): topic.baseline_per_day.get(day, 0) for day in window},
                      "added": topic.added, "removed": topic.removed,
                      "added_samples": [s.as_dict() for s in topic.added_samples],
                      "removed_samples": [s.as_dict() for s in topic.removed_samples]}
        topics.append(entry)
    return {"since": start.isoformat(), "until": end.isoformat(), "articles": result.articles,
            "config": str(paths[0]), "against": str(paths[1]) if paths[1] else None, "topics": topics}


def _report(result: Backtest, start: datetime, end: datetime, paths: tuple[Path, Path | None],
            single: bool) -> Group:
    window = days(start, end)
    against = f", compared with {paths[1]}" if paths[1] else ""
    parts: list[Any] = [Text(f"{result.articles:,} articles fetched {start:%Y-%m-%d %H:%M} → "
                             f"{end:%Y-%m-%d %H:%M} UTC; rules from {paths[0]}{against}", style="bold")]
    parts.append(_summary_table(result, window))
    if single:
        parts.extend(_day_table(topic, window, result.compared) for topic in result.topics.values())
    for topic in result.topics.values():
        if result.compared:
            if topic.added:
                parts.append(_sample_table(f"{topic.topic_id}: +{topic.added} hits the change adds",
                                           topic.added_samples, topic.added, "green"))
            if topic.removed:
                parts.append(_sample_table(f"{topic.topic_id}: −{topic.removed} hits the change removes",
                                           topic.removed_samples, topic.removed, "red"))
        elif topic.hits:
            parts.append(_sample_table(f"{topic.topic_id}: sample hits, newest first", topic.samples,
                                       topic.hits, "cyan"))
    return Group(*parts)


def _summary_table(result: Backtest, window: list[date]) -> Table:
    table = Table(title="Hits per topic", title_justify="left")
    table.add_column("topic")
    columns = [("current", None), ("edited", None), ("added", "green"), ("removed", "red")]
    for column, style in columns if result.compared else [("hits", None)]:
        table.add_column(column, justify="right", style=style)
    table.add_column(f"per day (UTC), {window[0]:%m-%d} → {window[-1]:%m-%d}", no_wrap=True)
    table.add_column("peak/day", justify="right")
    for topic in result.topics.values():
        counts = [topic.per_day.get(day, 0) for day in window]
        row = [topic.topic_id]
        if result.compared:
            row += [f"{topic.baseline_hits:,}", f"{topic.hits:,}",
                    f"+{topic.added:,}" if topic.added else "0", f"−{topic.removed:,}" if topic.removed else "0"]
        else:
            row.append(f"{topic.hits:,}")
        table.add_row(*row, sparkline(counts), str(max(counts, default=0)))
    if not result.topics:
        table.caption = "no topics to run"
    return table


def _day_table(topic: TopicResult, window: list[date], compared: bool) -> Table:
    table = Table(title=f"{topic.topic_id}: hits per day (UTC)", title_justify="left", box=None)
    table.add_column("day")
    if compared:
        table.add_column("current", justify="right")
    table.add_column("edited" if compared else "hits", justify="right")
    table.add_column("")
    peak = max(topic.per_day.values(), default=0)
    for day in window:
        count = topic.per_day.get(day, 0)
        bar = "█" * round(30 * count / peak) if peak else ""
        row = [day.isoformat()] + ([str(topic.baseline_per_day.get(day, 0))] if compared else [])
        table.add_row(*row, str(count), bar)
    return table


def _sample_table(title: str, samples: list[Sample], total: int, style: str) -> Table:
    shown = f" (showing {len(samples)})" if len(samples) < total else ""
    table = Table(title=Text(title + shown, style=f"bold {style}"), title_justify="left", show_lines=False)
    for column in ("fetched (UTC)", "source", "title", "found"):
        table.add_column(column, overflow="fold")
    for sample in samples:
        found = ", ".join(text if text.casefold() == term.casefold() else f"{text} ({term})"
                          for term, text in sample.found)
        table.add_row(f"{sample.fetched_at:%Y-%m-%d %H:%M}", sample.source_id, Text(sample.title), Text(found))
    return table


def sparkline(counts: list[int], width: int = SPARK_WIDTH) -> str:
    """One character per day (or per group of days past `width`): · for none, ▁ to █ scaled to the peak."""
    if len(counts) > width:
        size = -(-len(counts) // width)
        counts = [sum(counts[i:i + size]) for i in range(0, len(counts), size)]
    peak = max(counts, default=0)
    return "".join("·" if not n else SPARK[min(len(SPARK) - 1, (n * len(SPARK) - 1) // peak)] for n in counts)
