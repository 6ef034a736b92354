"""`dozor parse FILE_OR_URL [--json]`: the items Dozor would read from a feed, to check a source by hand.

A URL is fetched with a plain blocking client (urllib: 20 s timeouts, at most 15 MB and 5
redirects), not through Scrapy, since this is a debugging tool; a file is read as bytes. Exit 0
with the items (even none, from a valid empty feed); exit 1 with one line on stderr when nothing
could be read. It never needs a config file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from http.client import HTTPException
from pathlib import Path
from typing import Annotated, NoReturn
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, Request, build_opener

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.parse import FeedItem, ParsedFeed, parse_feed

TIMEOUT_SECONDS = 20
MAX_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
EXIT_UNREADABLE = 1
USER_AGENT = "Dozor/0.1 (dozor parse; a one-off check of a feed)"
_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
           "application/json;q=0.9, text/xml;q=0.8, */*;q=0.5")
# A file has no HTTP headers; only a JSON Feed needs saying (an XML feed carries its own declaration).
_FILE_TYPES = {".json": "application/json"}


class Unreadable(Exception):
    """Nothing to parse: a missing file, a network error, an HTTP error status or an oversized body."""


@dataclass(frozen=True)
class Fetched:
    body: bytes
    url: str  # after redirects: relative links resolve against it
    headers: dict[str, str]  # names lower-cased


def parse_command(
    source: Annotated[str, typer.Argument(metavar="FILE_OR_URL", help="A feed file, or an http(s) URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines: url, guid, title, summary, "
                                          "published_at, language.")] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", show_default=False,
                                                help="Accepted like every subcommand; not needed.")] = None,
) -> None:
    """Parse a feed file or URL and print its items as Dozor sees them."""
    del config  # parsing needs no configuration; the option is there so every subcommand takes it
    try:
        fetched = fetch_url(source) if source.startswith(("http://", "https://")) else read_file(Path(source))
        parsed = parse_feed(fetched.body, fetched.url, fetched.headers, datetime.now(timezone.utc))
    except Unreadable as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a debugging tool must say what broke, not dump a traceback
        _fail(f"{source}: unexpected error ({type(exc).__name__}: {exc}); please report it")
    if parsed.problem:
        _fail(f"{source}: {parsed.problem}")
    if as_json:
        for item in parsed.items:
            print(json.dumps(_as_dict(item), ensure_ascii=False))
    else:
        Console().print(_table(parsed, source))


def read_file(path: Path) -> Fetched:
    """A feed file's bytes, with the content type its extension implies."""
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise Unreadable(f"{path}: no such file") from None
    except OSError as exc:
        raise Unreadable(f"{path}: cannot read it ({exc.strerror or exc})") from None
    content_type = _FILE_TYPES.get(path.suffix.lower())
    return Fetched(body, path.resolve().as_uri(), {"content-type": content_type} if content_type else {})


def fetch_url(url: str) -> Fetched:
    """GET `url` with Dozor's limits; raises Unreadable with a one-line reason."""
    opener = build_opener(_FewRedirects)
    request = Request(url, headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT})
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_BYTES + 1)
            headers = {name.lower(): value for name, value in response.headers.items()}
            final_url = response.geturl()
    except HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:  # urllib gives up on the redirect past max_redirections
            raise Unreadable(f"{url}: more than {MAX_REDIRECTS} redirects") from None
        raise Unreadable(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise Unreadable(f"{url}: no answer within {TIMEOUT_SECONDS} s") from None
        raise Unreadable(f"{url}: cannot fetch it ({exc.reason})") from None
    except TimeoutError:
        raise Unreadable(f"{url}: no answer within {TIMEOUT_SECONDS} s") from None
    except (OSError, HTTPException, ValueError) as exc:
        raise Unreadable(f"{url}: cannot fetch it ({type(exc).__name__}: {exc})") from None
    if len(body) > MAX_BYTES:
        raise Unreadable(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB, more than any feed should be")
    return Fetched(body, final_url, headers)


class _FewRedirects(HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS


def _table(parsed: ParsedFeed, source: str) -> Table:
    detail = ", ".join(filter(None, [parsed.format, parsed.encoding, f"{len(parsed.items)} items"]))
    table = Table(title=Text(f"{parsed.title or source} ({detail})"))
    for column in ("published (UTC)", "lang", "title", "url"):
        table.add_column(column, overflow="fold")
    for item in parsed.items:
        # Text(), not str: a title like "[bold]" is the publisher's, not Rich markup.
        table.add_row(item.published_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M"),
                      item.language or "", Text(item.title), Text(item.url))
    if parsed.skipped:
        table.caption = f"{parsed.skipped} entries skipped: no http(s) link"
    return table


def _as_dict(item: FeedItem) -> dict[str, str | None]:
    return {"url": item.url, "guid": item.guid, "title": item.title, "summary": item.summary,
            "published_at": item.published_at.isoformat(), "language": item.language}


def _fail(line: str) -> NoReturn:
    typer.echo(" ".join(line.split()), err=True)  # one line, whatever the exception's message held
    raise typer.Exit(EXIT_UNREADABLE)
