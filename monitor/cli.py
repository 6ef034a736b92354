"""`dozor`: the operator's command line. Every subcommand takes --config PATH.

This module is the composition root: the one place that wires monitor/ and bot/ together.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Config, ConfigError, Environment, database_url, load_config, resolve_config_path
from monitor.logs import LogFormat, setup_logging
from monitor.roles import Role
from monitor.store.db import Store, StoreError, is_unrecoverable, unrecoverable_message

app = typer.Typer(help="Dozor: news monitoring and Telegram alerts.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

err = Console(stderr=True, soft_wrap=True)
out = Console()
log = logging.getLogger("monitor.cli")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (else $DOZOR_CONFIG, else ./config.yaml).",
                 show_default=False),
]
LogLevel = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")]

EXIT_CONFIG = 2
EXIT_STORE = 3


def main() -> None:
    app()


def _fail(code: int, lines: list[str]) -> NoReturn:
    for line in lines:
        err.print(line, markup=False, highlight=False)
    raise typer.Exit(code)


def _load(config_path: Path | None) -> tuple[Config, Path, Environment]:
    env = Environment()
    path = resolve_config_path(config_path, env)
    try:
        return load_config(path), path, env
    except ConfigError as exc:
        _fail(EXIT_CONFIG, exc.errors)


def _open_store(config: Config, path: Path, env: Environment) -> Store:
    url = database_url(config, path, env)
    try:
        store = Store(url)
        store.upgrade()
    except (SQLAlchemyError, StoreError, OSError) as exc:
        if is_unrecoverable(exc):
            _fail(EXIT_STORE, [unrecoverable_message(_safe_url(url), exc)])
        _fail(EXIT_STORE, [f"cannot open the database {_safe_url(url)}: {_first_line(exc)}",
                           "check storage.url in the config (or $DOZOR_DATABASE_URL) and that "
                           "the folder is writable / the server is up"])
    return store


def _open_read_only(config: Config, path: Path, env: Environment) -> Store:
    """The database as it is, for commands that only read: never created, never migrated."""
    url = database_url(config, path, env)
    database = make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:" and not Path(database).exists():
        _fail(EXIT_STORE, [f"no database yet at {database}: `dozor run` (or `dozor db upgrade`) creates it"])
    try:
        store = Store(url)
        current = store.is_current()
    except (SQLAlchemyError, StoreError, OSError) as exc:
        _fail(EXIT_STORE, [f"cannot open the database {_safe_url(url)}: {_first_line(exc)}"])
    if not current:
        store.close()
        _fail(EXIT_STORE, [f"the database {_safe_url(url)} is older than this version of Dozor: "
                           "run `dozor db upgrade` (`dozor run` also does it at start)"])
    return store


@app.command("check-config")
def check_config(config: ConfigOption = None) -> None:
    """Validate the config file: exit 0 when valid, 2 otherwise (errors name the line)."""
    loaded, path, _ = _load(config)
    out.print(f"{path}: OK — {len(loaded.sources)} sources, {len(loaded.topics)} topics",
              highlight=False)
    for warning in loaded.warnings():
        err.print(f"warning: {warning}", markup=False, highlight=False)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply database migrations (also done at every start)."""
    loaded, path, env = _load(config)
    store = _open_store(loaded, path, env)
    out.print(f"database is up to date: {_safe_url(store.url)}", highlight=False)


@app.command()
def run(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="Poll every source once, deliver, exit.")] = False,
    log_level: LogLevel = "INFO",
    log_format: Annotated[LogFormat, typer.Option(
        "--log-format", help="text, or json: one JSON object a line (time, level, logger, message, "
        "extra fields) for log shippers.")] = LogFormat.TEXT,
    role: Annotated[Role, typer.Option(
        "--role", help="all: everything in one process. worker: crawl and match only (run several "
        "on one PostgreSQL). bot: Telegram only (exactly one per bot token).")] = Role.ALL,
) -> None:
    """Run the service: scheduler, crawls, bot and delivery (by default all in one process)."""
    loaded, path, env = _load(config)
    token = env.telegram_token.get_secret_value() if env.telegram_token else None
    setup_logging(log_level, secrets=[token] if token else [], fmt=log_format)
    if role is Role.BOT and not token:
        _fail(EXIT_CONFIG, ["--role bot needs the bot token: set DOZOR_TELEGRAM_TOKEN"])
    store = _open_store(loaded, path, env)
    raise typer.Exit(_serve(loaded, path, store, token, once, role))


def _serve(config: Config, path: Path, store: Store, token: str | None, once: bool, role: Role) -> int:
    from monitor import runtime, service
    from monitor.console import ConsoleAlerts
    from monitor.live_config import LiveConfig
    from monitor.metrics import Metrics
    from monitor.store.outbox import counts
    from monitor.store.sources import release_orphaned, sync_sources

    try:
        with store.session() as session:
            sync_sources(session, config.sources, runtime.utcnow())
            if role.crawls:
                taken_back = release_orphaned(session, runtime.utcnow(), socket.gethostname(), runtime.pid_alive)
                if taken_back:
                    log.info("%d sources claimed by a process that is gone are due again", len(taken_back))
    except SQLAlchemyError as exc:
        if not is_unrecoverable(exc):
            raise
        _fail(EXIT_STORE, [unrecoverable_message(store.safe_url, exc)])
    log.info("config %s: %d sources, %d topics; database %s; role %s",
             path, len(config.sources), len(config.topics), store.safe_url, role)
    for warning in config.warnings():
        log.warning("config %s: %s", path, warning)
    live = LiveConfig(path, config)
    metrics = Metrics()

    def outbox_counts() -> dict[str, int]:
        with store.session() as session:
            return counts(session)

    async def serve() -> int:
        console = ConsoleAlerts(sys.stdout)
        poller = None
        if role.crawls:
            # Without a bot, new hits are printed as they are found.
            show = console.print_report if role is Role.ALL and not token else None
            poller = runtime.Poller(config, store, on_report=show, metrics=metrics)
        sender: service.AlertSender | None = None
        if role.sends and token:
            from bot.telegram_sender import TelegramSender  # the composition root wires bot/ in

            sender = TelegramSender(live, store, token, metrics=metrics)
            metrics.watch_outbox(outbox_counts)
        elif role.sends:
            sender = console
        parts = service.Parts(live, store, poller, sender, metrics)
        service.follow_config(parts)
        if once:
            return await service.serve_once(parts)
        return await service.serve_forever(parts)

    try:
        return runtime.run_service(serve)
    finally:
        store.close()


@app.command()
def sources(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per source, for scripts.")] = False,
) -> None:
    """Source health: status, last success, last error, failures in a row, items in the last
    24 h, last new item, next check. Silent, paused and broken (selector rot) sources are flagged."""
    from datetime import timedelta

    from monitor.store.sources import all_sources, items_since

    loaded, path, env = _load(config)
    store = _open_store(loaded, path, env)
    now = datetime.now(timezone.utc)
    with store.session() as session:
        rows = all_sources(session)
        recent = items_since(session, now - timedelta(hours=24))
    if as_json:
        for row in rows:
            print(json.dumps({
                "id": row.id, "status": _status(row, row.id in {s.id for s in loaded.sources}),
                "last_success": _iso(row.last_success_at), "last_error": row.last_error,
                "last_error_at": _iso(row.last_error_at), "failures": row.consecutive_failures,
                "items_24h": recent.get(row.id, 0), "last_new_item": _iso(row.last_new_item_at),
                "next_check": _iso(row.next_check_at), "paused": row.paused_at is not None,
                "silent_since": _iso(row.silent_since), "kind": row.kind,
                "broken_since": _iso(row.broken_since), "broken_reason": row.broken_reason,
            }, ensure_ascii=False))
        return
    table = Table(title=f"Sources ({path})")
    for column in ("id", "status", "last success", "last error", "failures", "items 24h",
                   "last new item", "next check"):
        table.add_column(column, overflow="fold")
    configured = {s.id for s in loaded.sources}
    for row in rows:
        error = f"{_ago(row.last_error_at, now)}: {row.last_error}" if row.last_error else ""
        next_check = _until(row.next_check_at, now) if row.active and not row.paused_at else ""
        table.add_row(row.id, _status(row, row.id in configured), _ago(row.last_success_at, now),
                      error, str(row.consecutive_failures), str(recent.get(row.id, 0)),
                      _ago(row.last_new_item_at, now), next_check)
    for source in loaded.sources:
        if source.id not in {r.id for r in rows}:
            table.add_row(source.id, "new", "never", "", "0", "0", "never", "at next start")
    out.print(table)


@app.command()
def resume(
    source_id: Annotated[str, typer.Argument(help="The id of a paused source.")],
    config: ConfigOption = None,
) -> None:
    """Resume a paused source: clear its failures and check it at the next tick."""
    from monitor.store.sources import resume as resume_source

    loaded, path, env = _load(config)
    store = _open_store(loaded, path, env)
    with store.session() as session:
        found = resume_source(session, source_id, datetime.now(timezone.utc))
    if not found:
        _fail(1, [f"no source {source_id!r} in the database (see: dozor sources)"])
    out.print(f"{source_id}: resumed; it will be checked at the next tick", highlight=False)


@app.command()
def hits(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines: time, topic, source, title, url, terms.")] = False,
    topic: Annotated[str | None, typer.Option("--topic", help="Only this topic id.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 50,
) -> None:
    """Stored hits, newest first."""
    from monitor.store.articles import recent_hits

    loaded, path, env = _load(config)
    store = _open_store(loaded, path, env)
    with store.session() as session:
        rows = recent_hits(session, topic, limit)
    if as_json:
        for row in rows:
            print(json.dumps({"time": row.time.isoformat(), "topic": row.topic, "source": row.source,
                              "title": row.title, "url": row.url, "terms": row.terms},
                             ensure_ascii=False))
        return
    table = Table(title="Hits")
    for column in ("time (UTC)", "topic", "source", "title", "terms"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row.time.strftime("%Y-%m-%d %H:%M"), row.topic, row.source,
                      f"[link={row.url}]{_markup_safe(row.title)}[/link]", ", ".join(row.terms))
    out.print(table)


def _status(row: Any, configured: bool) -> str:
    if not configured:
        return "removed"
    if not row.active:
        return "disabled"
    if row.paused_at:
        return "PAUSED"
    flags = ["SILENT"] if row.silent_since else []
    if row.broken_since:
        flags.insert(0, f"BROKEN: {row.broken_reason}")
    if row.consecutive_failures:
        flags.append(f"failing ({row.consecutive_failures})")
    if not flags:
        flags.append("ok" if row.last_success_at else "not checked yet")
    return ", ".join(flags)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    return f"{_span((now - when).total_seconds())} ago"


def _until(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "now"
    seconds = (when - now).total_seconds()
    return "due now" if seconds <= 0 else f"in {_span(seconds)}"


def _span(seconds: float) -> str:
    seconds = int(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _markup_safe(text: str) -> str:
    return text.replace("[", r"\[")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# `dozor parse` lives in its own module; registered here so `dozor --help` lists it.
from monitor.cli_parse import parse_command  # noqa: E402

app.command("parse")(parse_command)

# `dozor match` and `dozor backtest` live in monitor/cli_match.py.
from monitor.cli_match import backtest_command, match_command  # noqa: E402

app.command("match")(match_command)
app.command("backtest")(backtest_command)

# `dozor crawl` (one crawled source now, or a dry run) lives in monitor/cli_crawl.py.
from monitor.cli_crawl import crawl_command  # noqa: E402

app.command("crawl")(crawl_command)

# `dozor status` (one screen, or --json for health checks) lives in monitor/cli_status.py.
from monitor.cli_status import status_command  # noqa: E402

app.command("status")(status_command)
