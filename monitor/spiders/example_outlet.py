"""A hand-written spider, the documented example (docs/spiders.md): court decisions of an outlet
whose list page is a grid of cards and whose decision pages need their parts put together.

Config:  - id: example-court
           spider: example_outlet
           start_urls: [https://example.kz/court/]   # optional: the class's own otherwise

Debug:   scrapy crawl example_outlet -a source=example-court -O found.jsonl
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from monitor.crawl_article import parse_time
from monitor.spiders.base import ArticleItem, SourceSpider


class ExampleOutletSpider(SourceSpider):
    """Court decisions: cards on /court/, each linking to a decision page."""

    name = "example_outlet"
    start_urls = ["https://example.kz/court/"]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_pages():
            yield self.index_request(url, self.parse)

    async def parse(self, response: Response, **_: Any) -> AsyncIterator[scrapy.Request]:
        if not self.read_index(response):
            return
        cards = response.css("article.decision-card")
        hrefs = [card.css("h3 a::attr(href)").get() for card in cards]
        for url in await self.new_links(response, hrefs):
            yield self.article_request(url, callback=self.parse_decision)

    async def parse_decision(self, response: Response) -> AsyncIterator[ArticleItem]:
        # The ruling is split into numbered sections; the court's name sits in a header box.
        court = response.css("div.court-name::text").get("").strip()
        sections = response.css("section.ruling p::text").getall()
        yield ArticleItem(
            url=response.url,
            title=" ".join(response.css("h1::text").get("").split()),
            text="\n".join(line.strip() for line in [court, *sections] if line.strip()),
            published_at=parse_time(response.css("time::attr(datetime)").get("")),
            language=response.css("html::attr(lang)").get(),
        )
