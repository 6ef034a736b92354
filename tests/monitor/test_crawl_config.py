"""Selectors from config.yaml: CSS or XPath, compiled when loaded, applied to pages as text."""

from __future__ import annotations

import pytest
from parsel import Selector as Page

from monitor.crawl_config import ListingConfig, compile_selector

PAGE = Page(text="""<html><body>
<ul><li><a class="t" href="/a/1">First <b>story</b></a></li><li><a class="t" href="/a/2">Second</a></li></ul>
<div class="body"><p>One paragraph.</p><figure><img src="x.jpg"><figcaption>A strike in a caption</figcaption></figure>
<ul><li>A list item</li></ul><script>var strike = 1;</script><p>Last <em>words</em>.</p></div>
</body></html>""")


@pytest.mark.parametrize(
    ("written", "attribute", "found"),
    [
        ("a.t::attr(href)", None, ["/a/1", "/a/2"]),
        ("a.t", "href", ["/a/1", "/a/2"]),  # an element gives the attribute asked for
        ("//a[@class='t']/@href", None, ["/a/1", "/a/2"]),  # a leading / means XPath
        ({"xpath": "(//a)[2]/@href"}, None, ["/a/2"]),
        ({"css": "a.t::text"}, None, ["First", "Second"]),
        ("a.t", None, ["First story", "Second"]),  # an element's visible text
    ],
)
def test_css_and_xpath_selectors_find_values(written, attribute, found):
    assert compile_selector(written).values(PAGE, attribute) == found


def test_an_element_gives_its_paragraphs_without_captions_or_scripts():
    [text] = compile_selector("div.body").values(PAGE)
    assert text == "One paragraph.\nA list item\nLast words."


@pytest.mark.parametrize(
    ("written", "error"),
    [
        ("a..b", "invalid CSS selector 'a..b'"),
        ("a::nonsense", "invalid CSS selector 'a::nonsense': The pseudo-element ::nonsense is unknown"),
        ("//div[", "invalid XPath '//div['"),
        ({"xpath": "//a[@x="}, "invalid XPath '//a[@x='"),
        ("  ", "expected a non-empty selector"),
        (["a"], "expected a CSS selector"),
    ],
)
def test_syntax_errors_are_named(written, error):
    with pytest.raises(ValueError, match=error.replace("[", r"\[").replace("(", r"\(")):
        compile_selector(written)


def test_a_listing_needs_http_start_urls_and_allows_at_most_50_pages():
    with pytest.raises(ValueError, match="expected an http"):
        ListingConfig(start_urls=["example.kz/news"], links="a")
    with pytest.raises(ValueError):
        ListingConfig(start_urls=["https://example.kz/news"], links="a", max_pages=51)
