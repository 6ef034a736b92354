"""`dozor status [--json]`: the whole service on one 80×24 screen, or one JSON object for scripts.

    dozor status            sources healthy / failing / paused / silent / broken, hits today per
                            topic, the outbox, subscribers, last crawl, config version, last events
    dozor status --json     the same counts with stable keys (a health check reads these)

The counts come from monitor/store/status.py. Exit 0 whatever the counts say (a script decides what
is unhealthy from the JSON), 2 when the config is invalid, 3 when the database cannot be opened.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from monitor.config import Config
from monitor.store.status import Status

# Rows of topics that fit 23 lines beside everything else (header 4, sources and outbox 6, the
# topics' frame and column names 3, three events 5); past TOPIC_ROWS topics, two go in a row.
TOPIC_ROWS = 5

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", show_default=False, help="Config file (else $DOZOR_CONFIG, else ./config.yaml).")]


def status_command(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object with stable keys, for scripts "
                                          "and health checks.")] = False,
) -> None:
    """One screen: source health, hits today per topic, the outbox, subscribers, last crawl,
    config version and the last operator events."""
    from monitor.cli import _load, _open_read_only, _safe_url, out  # cli imports this module at its end
    from monitor.live_config import config_version
    from monitor.store.status import gather

    loaded, path, env = _load(config)
    store = _open_read_only(loaded, path, env)  # a health check must not migrate or create anything
    try:
        with store.session() as session:
            status = gather(session, datetime.now(timezone.utc), loaded.zone)
    finally:
        store.close()
    about = {"path": str(path), "version": config_version(path), "database": _safe_url(store.url)}
    if as_json:
        print(json.dumps(as_dict(status, loaded, about), ensure_ascii=False))
    else:
        out.print(render(status, loaded, about))


def as_dict(status: Status, config: Config, about: dict[str, str]) -> dict[str, Any]:
    """The --json object. Its keys are a contract with operators' scripts: add, never rename."""
    topics = _topic_ids(status, config)
    return {
        "time": status.now.isoformat(),
        "timezone": config.timezone,
        "today_since": status.today_since.isoformat(),
        "config": {**about, "sources": len(config.sources), "topics": len(config.topics)},
        "sources": {
            "active": status.sources.active, "healthy": status.sources.healthy,
            "failing": status.sources.failing, "paused": status.sources.paused,
            "silent": status.sources.silent, "broken": status.sources.broken,
            "unchecked": status.sources.unchecked, "disabled": status.sources.disabled,
        },
        "problems": [{"id": p.source_id, "state": p.state} for p in status.problems],
        "last_crawl": _iso(status.last_crawl),
        "hits_today": {topic: status.hits_today.get(topic, 0) for topic in topics},
        "deliveries": {
            "pending": status.deliveries.get("pending", 0), "failed": status.deliveries.get("failed", 0),
            "sent": status.deliveries.get("sent", 0), "sent_today": status.sent_today,
            "possible_repeats": status.possible_repeats,
        },
        "subscribers": status.subscribers,
        "subscriptions": {topic: status.subscriptions.get(topic, 0) for topic in topics},
        "events": [{"time": e.created_at.isoformat(), "kind": e.kind, "source": e.source_id,
                    "message": e.message, "status": e.status} for e in status.events],
    }


def render(status: Status, config: Config, about: dict[str, str]) -> RenderableType:
    """Header, sources beside the outbox, topics, events: at most 23 lines at 80 columns."""
    zone = config.zone
    header = Text.assemble(
        ("config version ", "dim"), (about["version"], "bold"),
        f" ({len(config.sources)} sources, {len(config.topics)} topics)  ", about["path"], "\n",
        ("last crawl ", "dim"), _when(status.last_crawl, status.now, zone),
        ("  database ", "dim"), about["database"],
        no_wrap=True, overflow="ellipsis",
    )
    side_by_side = Table.grid(expand=True, padding=(0, 1))
    side_by_side.add_column(ratio=1)
    side_by_side.add_column(ratio=1)
    side_by_side.add_row(_sources_panel(status), _outbox_panel(status))
    title = f"Dozor status · {status.now.astimezone(zone):%Y-%m-%d %H:%M} {config.timezone}"
    return Group(Panel(header, title=title, title_align="left", box=box.ROUNDED),
                 side_by_side, _topics_panel(status, config), _events_panel(status, zone))


def _sources_panel(status: Status) -> Panel:
    health = status.sources
    grid = _pairs([("healthy", health.healthy, "green"), ("failing", health.failing, "red"),
                   ("paused", health.paused, "red"), ("silent", health.silent, "yellow"),
                   ("broken", health.broken, "red"), ("unchecked", health.unchecked, "")])
    names = ", ".join(f"{p.source_id} {p.state}" for p in status.problems)
    note = Text(names or "nothing needs a look", style="yellow" if names else "dim",
                no_wrap=True, overflow="ellipsis")
    return Panel(Group(grid, note), title=f"Sources: {health.active} active, {health.disabled} off",
                 title_align="left", box=box.ROUNDED)


def _outbox_panel(status: Status) -> Panel:
    grid = _pairs([("pending", status.deliveries.get("pending", 0), "yellow"),
                   ("failed", status.deliveries.get("failed", 0), "red"),
                   ("sent today", status.sent_today, "green"),
                   ("sent", status.deliveries.get("sent", 0), ""),
                   ("repeats?", status.possible_repeats, "yellow"),
                   ("subscribers", status.subscribers, "")])
    legend = Text("repeats? = possibly sent twice", style="dim",
                  no_wrap=True, overflow="ellipsis")
    return Panel(Group(grid, legend), title="Deliveries", title_align="left", box=box.ROUNDED)


def _pairs(cells: list[tuple[str, int, str]]) -> Table:
    """Label/number cells two to a row; a non-zero number takes its colour."""
    grid = Table.grid(padding=(0, 1), expand=True)
    for _ in range(2):
        grid.add_column(no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
    for start in range(0, len(cells), 2):
        row: list[RenderableType] = []
        for label, number, colour in cells[start:start + 2]:
            row += [Text(label, style="dim"), Text(str(number), style=colour if number else "")]
        grid.add_row(*row)
    return grid


def _topics_panel(status: Status, config: Config) -> Panel:
    topics = _topic_ids(status, config)
    hits_total = sum(status.hits_today.values())
    table = Table(box=None, expand=True, pad_edge=False, padding=(0, 1), header_style="dim")
    groups = 1 if len(topics) <= TOPIC_ROWS else 2
    for _ in range(groups):
        table.add_column("topic", no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column("hits today", justify="right", no_wrap=True)
        table.add_column("subscribed", justify="right", no_wrap=True)
    shown = topics[:TOPIC_ROWS * groups]
    if len(topics) > len(shown):  # the last cell says how many did not fit
        shown = shown[:-1]
    cells: list[list[RenderableType]] = [
        [Text(topic), _number(status.hits_today.get(topic, 0), "bold"),
         _number(status.subscriptions.get(topic, 0), "")] for topic in shown]
    if len(topics) > len(shown):
        cells.append([Text(f"+{len(topics) - len(shown)} more", style="dim"), Text(""), Text("")])
    rows = -(-len(cells) // groups) if cells else 0
    for index in range(rows):
        row: list[RenderableType] = []
        for group in range(groups):
            at = index + group * rows
            row += cells[at] if at < len(cells) else [Text(""), Text(""), Text("")]
        table.add_row(*row)
    if not topics:
        table.add_row(Text("no topics in the config", style="dim"), Text(""), Text(""))
    title = f"Topics: {hits_total} hits today" + (" (all: --json)" if len(topics) > len(shown) else "")
    return Panel(table, title=title, title_align="left", box=box.ROUNDED)


def _number(value: int, style: str) -> Text:
    return Text(str(value), style=style if value else "dim")


def _events_panel(status: Status, zone: tzinfo) -> Panel:
    lines = [Text.assemble((f"{e.created_at.astimezone(zone):%d.%m %H:%M} ", "dim"), (e.kind, "bold"),
                           " ", " ".join(e.message.split()), no_wrap=True, overflow="ellipsis")
             for e in status.events]
    body = Group(*lines) if lines else Text("none yet", style="dim")
    return Panel(body, title="Last operator events", title_align="left", box=box.ROUNDED)


def _topic_ids(status: Status, config: Config) -> list[str]:
    """Configured topics in config order, then any the store still has (removed from the config)."""
    ids = [topic.id for topic in config.topics]
    extra = sorted((set(status.hits_today) | set(status.subscriptions)) - set(ids))
    return ids + extra


def _when(when: datetime | None, now: datetime, zone: tzinfo) -> str:
    from monitor.cli import _ago

    if when is None:
        return "never"
    return f"{_ago(when, now)} ({when.astimezone(zone):%H:%M})"


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None
