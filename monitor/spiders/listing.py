"""A news list page read by selectors from config.yaml (`listing:`): no Python per site.

Each start URL is read; its `links` are the articles, the new ones are fetched; `next_page` is
followed up to `max_pages` pages, and not past a page with nothing new (older pages hold older
news, already stored).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from monitor.crawl_config import ListingConfig
from monitor.spiders.base import SourceSpider


class ListingSpider(SourceSpider):
    """The spider of every `listing:` source."""

    name = "listing"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.source.listing is None:
            raise ValueError(f"source {self.source.id!r} has no listing: in config.yaml")
        self.listing: ListingConfig = self.source.listing

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.listing.start_urls:
            yield self.index_request(url, self.parse, page=1)

    async def parse(self, response: Response, **_: Any) -> AsyncIterator[scrapy.Request]:
        if not self.read_index(response):
            return
        hrefs = self.listing.links.values(response.selector, attribute="href")
        new = await self.new_links(response, hrefs)
        for url in new:
            yield self.article_request(url)
        page = response.meta.get("page", 1)
        if self.listing.next_page and new and page < self.listing.max_pages and self.budget > 0:
            for href in self.listing.next_page.values(response.selector, attribute="href")[:1]:
                yield self.index_request(response.urljoin(href), self.parse, page=page + 1)
