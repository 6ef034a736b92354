"""A news sitemap (`sitemap:` in config.yaml): the articles it lists, newest first.

Google News sitemaps give each URL a `news:title` and `news:publication_date`; they are used
when the page itself does not say better. A sitemap index is followed to its newest sitemaps.
Plain sitemaps work too (only `loc` and `lastmod`). `read_sitemap` is pure: bytes → entries.

Scrapy's own SitemapSpider is not used: it reads only the direct children of `<url>`, so the
`news:` fields (nested in `<news:news>`) are lost, and it would follow every URL, not just the new.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from monitor.crawl_article import parse_time
from monitor.normalise import canonical_url
from monitor.spiders.base import SourceSpider

MAX_ENTRIES = 1000  # the newest; a news sitemap holds the last two days, at most 1,000 by spec
MAX_SITEMAPS = 3  # of an index, the newest
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    title: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class Sitemap:
    entries: list[SitemapEntry] = field(default_factory=list)  # newest first
    sitemaps: list[str] = field(default_factory=list)  # of an index, newest first
    problem: str | None = None


def read_sitemap(body: bytes, max_size: int = 0) -> Sitemap:
    """A sitemap or sitemap index (gzipped or not) → its entries; `problem` when unreadable."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except Exception as exc:  # noqa: BLE001 - a corrupt or oversized archive, reported
            return Sitemap(problem=f"cannot unpack the gzipped sitemap ({exc})")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, remove_comments=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        return Sitemap(problem=f"not a sitemap: {exc}")
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        return Sitemap(problem="not a sitemap (no <urlset> or <sitemapindex>)")
    if _local(root.tag) == "sitemapindex":
        found = [(_text(node, "loc"), parse_time(_text(node, "lastmod") or "")) for node in _children(root, "sitemap")]
        return Sitemap(sitemaps=[url for url, _ in _newest_first(found) if url])
    entries = [_entry(node) for node in _children(root, "url")]
    entries = [entry for entry in entries if entry.url]
    entries.sort(key=lambda entry: entry.published_at or _EPOCH, reverse=True)
    return Sitemap(entries=entries[:MAX_ENTRIES])


def _entry(node: Any) -> SitemapEntry:
    news = next(iter(_children(node, "news")), None)
    title = _text(news, "title") if news is not None else None
    published = _text(news, "publication_date") if news is not None else None
    return SitemapEntry(url=_text(node, "loc") or "", title=title,
                        published_at=parse_time(published or _text(node, "lastmod") or ""))


def _newest_first(found: list[tuple[str | None, datetime | None]]) -> list[tuple[str | None, datetime | None]]:
    return sorted(found, key=lambda pair: pair[1] or _EPOCH, reverse=True)


def _children(node: Any, name: str) -> list[Any]:
    return [child for child in node if isinstance(child.tag, str) and _local(child.tag) == name]


def _text(node: Any, name: str) -> str | None:
    child = next(iter(_children(node, name)), None)
    text = " ".join((child.text or "").split()) if child is not None else ""
    return text or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class SitemapSpider(SourceSpider):
    """The spider of every `sitemap:` source."""

    name = "sitemap"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.source.sitemap:
            raise ValueError(f"source {self.source.id!r} has no sitemap: in config.yaml")
        yield self.index_request(self.source.sitemap, self.parse, depth=0)

    async def parse(self, response: Response, **_: Any) -> AsyncIterator[scrapy.Request]:
        sitemap = read_sitemap(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        if sitemap.problem:
            self.report.index_errors.append(f"{response.url}: {sitemap.problem}")
            return
        self.report.index_pages += 1
        if sitemap.sitemaps and response.meta.get("depth", 0) == 0:
            for url in sitemap.sitemaps[:MAX_SITEMAPS]:
                yield self.index_request(response.urljoin(url), self.parse, depth=1)
            return
        by_url = {canonical_url(entry.url, base=response.url): entry for entry in sitemap.entries}
        for url in await self.new_links(response, list(by_url)):
            entry = by_url.get(url)
            yield self.article_request(url, title=entry and entry.title,
                                       published_at=entry and entry.published_at)
