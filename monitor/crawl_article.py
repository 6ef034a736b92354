"""An article page of a crawled source → its title, main text, time and language. Pure: no I/O.

The source's `article:` selectors win for the parts they name; trafilatura (monitor/extract.py,
with its caption and sidebar pruning) finds the rest. Blocking and CPU-bound (~20 ms a page):
spiders run it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from parsel import Selector as Page

from monitor.crawl_config import ArticleSelectors, Selector
from monitor.extract import MAX_HTML_BYTES, decode_html, extract_article, plain_lines
from monitor.language import guess_language, language_tag


@dataclass(frozen=True)
class PageArticle:
    """What an article page says; `text` is empty when nothing was found (selector rot)."""

    title: str
    text: str
    published_at: datetime | None
    language: str | None


def read_article(
    body: bytes, url: str, headers: Mapping[str, str], selectors: ArticleSelectors | None, now: datetime
) -> PageArticle:
    """The page's parts, by selector where given, else by trafilatura; never raises."""
    if not body.strip() or len(body) > MAX_HTML_BYTES:
        return PageArticle("", "", None, None)
    selectors = selectors or ArticleSelectors()
    page = Page(text=decode_html(body, _content_type(headers)), base_url=url)
    title = _first(page, selectors.title)
    text = plain_lines("\n".join(selectors.text.values(page))) if selectors.text else ""
    published = parse_time(_first(page, selectors.published))
    language = language_tag(page.xpath("/html/@lang").get())
    if not (title and selectors.text and published and language):
        found = extract_article(body, url, headers, now=now)
        if found is not None:
            title = title or found.title or ""
            text = text if selectors.text else found.text
            published = published or found.published_at
            language = language or found.language
    if text and not language:
        language = guess_language(text[:2000])
    return PageArticle(title=title, text=text, published_at=published, language=language)


def _first(page: Page, selector: Selector | None) -> str:
    if selector is None:
        return ""
    values = selector.values(page)
    return " ".join(values[0].split()) if values else ""


def parse_time(value: str) -> datetime | None:
    """ISO 8601 (what <time datetime> holds) or an RFC 2822 date; None for anything else."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _content_type(headers: Mapping[str, str]) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == "content-type"), None)
