"""`dozor crawl SOURCE_ID [--dry-run]`: crawl one listing, sitemap or spider source now and print
what it found: the article links, then each new article's title, time and first lines of text.

    dozor crawl court-news --dry-run     every link counts as new; nothing is stored
    dozor crawl court-news               only links not stored are fetched; stored as a poll would be
                                         (hits are owed to subscribers and sent by the service)

It crawls as the service does: robots.txt, AutoThrottle, the `fetch:` limits and the private-address
guard. Exit 0 when the site was read, 1 when it could not be (the reason on stderr), 2 when the
config is invalid.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from monitor.config import Config, SourceConfig
from monitor.spiders.base import MAX_ARTICLES, CrawlReport, LinkFilter, everything_new
from monitor.store.db import Store

TEXT_LINES = 3
EXIT_UNREAD = 1

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", show_default=False, help="Config file (else $DOZOR_CONFIG, else ./config.yaml).")]


def crawl_command(
    source_id: Annotated[str, typer.Argument(help="The id of a listing, sitemap or spider source.")],
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what is found; store nothing, "
                                          "and fetch every link as if it were new.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Article pages to fetch at most.")] = MAX_ARTICLES,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")] = "WARNING",
) -> None:
    """Crawl one source now and print the links, titles and first lines of text it finds."""
    from monitor.cli import _fail, _load, _open_store  # cli imports this module at its end
    from monitor.logs import setup_logging
    from monitor.runtime import run_service

    loaded, path, env = _load(config)
    source = loaded.source(source_id)
    if source is None:
        _fail(EXIT_UNREAD, [f"no source {source_id!r} in {path}; the ids are listed by: dozor sources"])
    if not source.crawled:
        _fail(EXIT_UNREAD, [f"{source_id} is a feed, not a crawled source; to see its items: "
                            f"dozor parse {source.feed}"])
    setup_logging(log_level)
    store = None if dry_run else _open_store(loaded, path, env)
    try:
        code = run_service(lambda: _crawl(loaded, source, store, limit))
    finally:
        if store is not None:
            store.close()
    raise typer.Exit(code)


async def _crawl(config: Config, source: SourceConfig, store: Store | None, limit: int) -> int:
    from scrapy.crawler import AsyncCrawlerRunner

    from monitor.crawl import crawl_source, emptiness, record_crawl
    from monitor.fetch import crawl_settings
    from monitor.match import Matcher

    runner = AsyncCrawlerRunner(crawl_settings(config))
    links = _store_filter(store) if store else everything_new
    if store is not None:
        await asyncio.to_thread(_sync, store, config)
    report = await crawl_source(runner, source, links, max_articles=limit)
    print(describe(source, report))
    if report.error:
        typer.echo(f"{source.id}: {report.error}", err=True)
    elif rot := emptiness(report):
        typer.echo(f"{source.id}: {rot}: check the selectors in config.yaml", err=True)
    if store is None:
        print("nothing stored (--dry-run)")
    else:
        poll = await asyncio.to_thread(record_crawl, store, config, Matcher(config.topics), report,
                                       datetime.now(timezone.utc))
        print(f"stored {poll.new_articles} new articles, {len(poll.hits)} hits")
    return EXIT_UNREAD if report.error else 0


def describe(source: SourceConfig, report: CrawlReport) -> str:
    """The crawl in plain lines: links (+ new, = already stored), then each article read."""
    lines = [f"{source.id} ({source.kind}): {source.url}",
             f"{report.index_pages} index pages read, {len(report.links)} article links, "
             f"{len(report.new_links)} new"]
    new = set(report.new_links)
    lines += [f"  {'+' if link in new else '='} {link}" for link in report.links]
    order = {link: n for n, link in enumerate(report.new_links)}
    for article in sorted(report.articles, key=lambda a: order.get(a.url, len(order))):
        when = f"{article.published_at:%Y-%m-%d %H:%M} UTC" if article.published_at else "no date"
        lines += ["", article.url, f"  {article.title or '(no title)'}",
                  f"  {when} · {article.language or 'language unknown'}"]
        text = article.text.splitlines()
        lines += [f"  | {line}" for line in text[:TEXT_LINES]] or ["  (no text found)"]
        if len(text) > TEXT_LINES:
            lines.append(f"  | … {len(text) - TEXT_LINES} more lines")
    lines += [f"not fetched: {url}" for url in report.failed_pages]
    return "\n".join(lines)


def _store_filter(store: Store) -> LinkFilter:
    from monitor.store.articles import unseen_urls

    def unseen(urls: list[str]) -> list[str]:
        with store.session() as session:
            fresh = unseen_urls(session, [(url, None) for url in urls])
        return [url for url in urls if url in fresh]

    async def links(urls: list[str]) -> list[str]:
        return await asyncio.to_thread(unseen, urls)

    return links


def _sync(store: Store, config: Config) -> None:
    from monitor.store.sources import sync_sources

    with store.session() as session:
        sync_sources(session, config.sources, datetime.now(timezone.utc))
