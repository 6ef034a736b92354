"""The config of crawled sources (sites without a feed): selectors, listing pages, article overrides.

A selector is CSS (`a.title::attr(href)`, parsel's `::text` and `::attr(name)` included) or XPath:
a string that starts with `/` or `(`, or a mapping `{xpath: "//h2/a/@href"}` (`{css: …}` works too).
Each one is compiled when the config is loaded, so a syntax error is a config error with its line,
not a source that silently finds nothing. Pure: parsel and lxml only, no I/O.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from cssselect import SelectorError
from lxml.etree import XPath, XPathError
from lxml.html import HtmlElement
from parsel import Selector as Page
from parsel.csstranslator import HTMLTranslator
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

_TRANSLATOR = HTMLTranslator()
# Parts of an element that are never article text, even inside the operator's text selector.
_NOT_TEXT = ("script", "style", "noscript", "template", "figure", "figcaption")
_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "dd", "dt", "pre", "td")


@dataclass(frozen=True)
class Selector:
    """A compiled CSS or XPath selector; `values` applies it to a page."""

    kind: Literal["css", "xpath"]
    query: str

    def values(self, page: Page, attribute: str | None = None) -> list[str]:
        """Every match as text: strings as they are; an element gives its `attribute` (when
        asked, e.g. href for links) or else its visible text, one paragraph per line."""
        found = page.css(self.query) if self.kind == "css" else page.xpath(self.query)
        out = []
        for match in found:
            root = match.root
            if isinstance(root, HtmlElement):
                value = root.get(attribute) if attribute else element_text(root)
            else:
                value = str(root)
            value = " ".join((value or "").split()) if attribute else (value or "").strip()
            if value:
                out.append(value)
        return out

    def __str__(self) -> str:
        return self.query if self.kind == "css" else f"xpath: {self.query}"


def compile_selector(value: Any) -> Selector:
    """A config value → Selector; raises ValueError naming the syntax error."""
    if isinstance(value, Selector):
        return value
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("css", "xpath"):
        kind, query = next(iter(value.items()))
    elif isinstance(value, str):
        kind, query = ("xpath" if value.lstrip().startswith(("/", "(")) else "css"), value
    else:
        raise ValueError("expected a CSS selector, or an XPath such as //h2/a/@href, or {xpath: ...}")
    if not isinstance(query, str) or not query.strip():
        raise ValueError("expected a non-empty selector")
    query = query.strip()
    try:
        XPath(_TRANSLATOR.css_to_xpath(query) if kind == "css" else query)
    except SelectorError as exc:
        raise ValueError(f"invalid CSS selector {query!r}: {exc}") from None
    except XPathError as exc:
        raise ValueError(f"invalid XPath {query!r}: {exc}") from None
    return Selector(kind, query)


SelectorField = Annotated[Selector, BeforeValidator(compile_selector), PlainSerializer(str)]


def element_text(element: HtmlElement) -> str:
    """An element's visible text, one paragraph per line; pictures and captions left out."""
    copy = deepcopy(element)  # the page may be read again by other selectors
    for unwanted in [e for e in copy.iter(*_NOT_TEXT) if e is not copy]:
        unwanted.drop_tree()
    blocks = [" ".join("".join(block.itertext()).split()) for block in copy.iter(*_BLOCKS)
              if block is not copy and not any(p.tag in _BLOCKS for p in block.iterancestors())]
    blocks = [block for block in blocks if block] or [" ".join("".join(copy.itertext()).split())]
    return "\n".join(block for block in blocks if block)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {url!r}")
    return url


class ListingConfig(_Strict):
    """A news list page: where it is, how to find the article links, how to turn the page."""

    start_urls: list[str] = Field(min_length=1)
    links: SelectorField
    next_page: SelectorField | None = None
    # Listing pages read per start URL and poll. Turning stops early at a page with nothing new.
    max_pages: int = Field(default=1, ge=1, le=50)

    @field_validator("start_urls")
    @classmethod
    def _are_http(cls, urls: list[str]) -> list[str]:
        return [_http_url(url) for url in urls]


class ArticleSelectors(_Strict):
    """Where an article page keeps its parts; anything not given is found by trafilatura."""

    title: SelectorField | None = None
    text: SelectorField | None = None
    published: SelectorField | None = None
