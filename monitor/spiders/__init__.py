"""Spiders of crawled sources (sites without a feed), one source per crawl.

- `listing` and `sitemap` read any site described in config.yaml (`listing:` / `sitemap:`);
- every other spider here is hand-written for one site and named by `spider:` in config.yaml
  (`example_outlet.py` is the documented example: docs/spiders.md).

They all build on `base.SourceSpider` and yield `base.ArticleItem`s. `scrapy list` and
`scrapy crawl <name> -a source=<id>` find them through scrapy.cfg (SPIDER_MODULES).
"""

from __future__ import annotations

from functools import cache

from monitor.config import SourceConfig

GENERIC = ("listing", "sitemap")


@cache
def _spiders() -> dict[str, type]:
    from scrapy.utils.misc import walk_modules_iter
    from scrapy.utils.spider import iter_spider_classes

    found: dict[str, type] = {}
    for module in walk_modules_iter(__name__):
        for spider in iter_spider_classes(module):
            found[spider.name] = spider
    return found


def spider_names(hand_written: bool = False) -> list[str]:
    """Names of the spiders in this package; only the hand-written ones if asked."""
    return sorted(name for name in _spiders() if not (hand_written and name in GENERIC))


def spider_for(source: SourceConfig) -> type:
    """The spider class that crawls `source` (a listing, sitemap or spider source)."""
    name = source.spider or ("listing" if source.listing else "sitemap" if source.sitemap else None)
    if name is None or name not in _spiders():
        raise ValueError(f"source {source.id!r} is not crawled by any spider")
    return _spiders()[name]
