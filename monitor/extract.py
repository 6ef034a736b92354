"""Article page bytes → its main text, for matching topics (`fetch_article` sources). Pure: no I/O.

A hit must come from what the article says, not from what sits around it: a keyword in an image
caption, a "most read" box or a link to another story must not raise an alert. trafilatura finds
the main content in its precision mode; before it runs, `_drop_boilerplate` removes what it lets
through on real pages, and afterwards credit lines are dropped and the standfirst put back.

Speed: ~20 ms a page (max ~40 ms) on the 13 real pages in tests/fixtures/pages, 40-720 KB; the
first import costs ~120 ms. Blocking and CPU-bound: callers run it in a worker thread. Pages over
`MAX_HTML_BYTES` are not looked at.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import chardet
import trafilatura
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.deduplication import LRUCache
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
)

from monitor.charset import better_cyrillic_encoding, codec_name, worth_a_second_look
from monitor.language import guess_language, language_tag

log = logging.getLogger(__name__)

MAX_HTML_BYTES = 5 * 1024 * 1024
"""Larger pages are not articles worth the time (trafilatura's own cap is 20 MB)."""

# Precision over recall: a missed sentence costs less than an alert about a caption.
# - favor_precision: stricter link-density and teaser pruning, no <header> blocks (which costs
#   the standfirst: `_with_standfirst` puts it back);
# - no comments, images (their captions), links or formatting in the text;
# - tables kept: news sites put real content (strike demands, vote counts) in them;
# - not `fast`: trafilatura also tries readability and jusText and keeps the better result,
#   which rescues pages whose markup its own heuristics misread, for a few ms.
_OPTIONS: dict[str, Any] = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
}
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


@dataclass(frozen=True)
class Extracted:
    """An article's main text (plain paragraphs, one per line) and what the page says about it.

    `published_at` is UTC; a page that only gives a day is read as midnight UTC of that day.
    `language` is the page's declared primary subtag ("ru", "kk", "en"), else a guess from the text.
    """

    text: str
    title: str | None
    language: str | None
    published_at: datetime | None


def extract_article(
    html: bytes, url: str, headers: Mapping[str, str], now: datetime | None = None
) -> Extracted | None:
    """The page's main text, or None when there is none to find; never raises.

    `headers` are the response's (a charset in Content-Type wins over the page's own
    declaration); `now` (default: the clock) bounds the publication date: a day later at most.
    """
    if not html.strip() or len(html) > MAX_HTML_BYTES:
        return None
    try:
        return _extract(html, url, headers, now)
    except Exception:  # lxml and trafilatura on hostile markup: one bad page must not stop a poll
        log.warning("url=%s extraction failed", url, exc_info=True)
        return None


def _extract(
    html: bytes, url: str, headers: Mapping[str, str], now: datetime | None
) -> Extracted | None:
    tree = trafilatura.load_html(decode_html(html, _header(headers, "content-type")))
    if tree is None:
        return None
    # Metadata first, from the whole page: the date may sit in a box that is pruned below.
    metadata = trafilatura.extract_metadata(tree, url, _date_params(now))
    declared = declared_language(tree, _header(headers, "content-language"))
    _rejoin_drop_caps(tree)
    _drop_boilerplate(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        # A cache of its own: with `True` trafilatura shares one across calls, so a page seen
        # twice (or sharing paragraphs with earlier pages) would lose text or come back None.
        deduplicate=LRUCache(maxsize=1024),
        **_OPTIONS,
    )
    text = plain_lines(document.text or "") if document is not None else ""
    if not text:
        return None
    return Extracted(
        text=_with_standfirst(text, metadata.description, tree),
        title=" ".join((metadata.title or "").split()) or None,
        language=declared or guess_language(text[:2000]),
        published_at=_parse_date(metadata.date),
    )


def _date_params(now: datetime | None) -> dict[str, Any]:
    """htmldate's options: when the story was first published, with the time zone if given."""
    params: dict[str, Any] = {
        "original_date": True,
        "extensive_search": True,
        "outputformat": _DATE_FORMAT,
        # A date in the URL is only a day; look for a full timestamp in the page first.
        "deferred_url_extractor": True,
    }
    # htmldate compares the page's local day, and in Almaty (UTC+5) it is tomorrow from 19:00 UTC.
    latest = (now or datetime.now(timezone.utc)) + timedelta(days=1)
    params["max_date"] = latest.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return params


def _with_standfirst(text: str, description: str | None, tree: HtmlElement) -> str:
    """Put the standfirst (the summary printed under the headline) back in front of the text.

    Precision mode drops it with the page's <header>. The page's description is taken as the
    standfirst only when the page shows it word for word outside what was pruned, so a site-wide
    description that no page shows never gets in.
    """
    standfirst = " ".join((description or "").split())
    if not standfirst or standfirst in " ".join(text.split()):
        return text
    body = tree.find(".//body")
    shown = " ".join(" ".join(_VISIBLE_TEXT(body)).split()) if body is not None else ""
    return f"{standfirst}\n{text}" if standfirst in shown else text


# ----------------------------------------------------------------------------- decoding


def decode_html(body: bytes, content_type: str | None) -> str:
    """Bytes → text: a BOM, else the HTTP charset, else the page's <meta> charset, else a guess.

    A guessed or Latin code page gets the same second look for Russian mojibake as feeds do.
    """
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_guess)
    declared = (
        read_bom(body)[0]
        or http_content_type_encoding(content_type)
        or html_body_declared_encoding(body)
    )
    if worth_a_second_look(encoding, guessed=declared is None):
        if better := better_cyrillic_encoding(body, encoding):
            return body.decode(better, errors="replace")
    return text


def _guess(body: bytes) -> str | None:
    """UTF-8 if the bytes are valid UTF-8; otherwise what chardet reads from the non-ASCII part."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # The <head> is mostly ASCII; the text starts at the first non-ASCII byte. A bounded sample
    # keeps chardet (pure Python) from reading megabytes.
    first = re.search(rb"[\x80-\xff]", body)
    sample = body[first.start() if first else 0 :][:65536]
    return codec_name(chardet.detect(sample).get("encoding"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


# ----------------------------------------------------------------------------- metadata

_META_LANGUAGE = XPath(
    "//meta[translate(@http-equiv, 'CONTENTLAGU', 'contentlagu')='content-language']/@content"
    " | //meta[@property='og:locale']/@content"
)


def declared_language(tree: HtmlElement, content_language: str | None) -> str | None:
    """<html lang>, else a content-language or og:locale <meta>, else the HTTP header's language."""
    root = tree.getroottree().getroot()
    candidates = [
        root.get("lang"),
        root.get("xml:lang"),
        *_META_LANGUAGE(tree),
        content_language,
    ]
    for value in candidates:
        if tag := language_tag(value):
            return tag
    return None


def _parse_date(value: str | None) -> datetime | None:
    for layout in (_DATE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(value or "", layout)
        except ValueError:
            continue
        if moment.tzinfo is None:  # htmldate found a day, or a time without an offset
            return moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    return None


# ----------------------------------------------------------------------------- boilerplate

# A block that points to another story: "Read more: <a>…</a>", "Читайте также: <a>…</a>".
_READ_ALSO = re.compile(
    r"(read (more|also)|also read|see also|related( stories| coverage)?\s*:|more on this"
    r"|читайте( также| еще| ещё)?\s*:|читать также|также читайте|смотрите также|см\. также"
    r"|по теме\s*:|подробнее\s*:|сондай-ақ оқыңыз|оқи отырыңыз|тағы оқыңыз|толығырақ\s*:)",
    re.IGNORECASE,
)
# A credit line under a picture: "(Credit: … / Grist)", "Image copyright Reuters", "Фото: ТАСС".
_CREDIT_LINE = re.compile(
    r"\(?(?:photo(?:graph)?s?|images?|pictures?|illustration|фото(?:графия)?|иллюстрация|кадр"
    r"|скриншот|сурет|фотосурет)(?:\s+(?:credit|copyright|caption|source)\b\s*:?|\s*[:©]).{0,150}"
    r"|\(?credits?\s*:.{0,150}",
    re.IGNORECASE,
)
# Class or id words of boxes that are never the story itself.
_BOX_WORDS = re.compile(
    r"newsletter|subscribe|signup|sign-up|promo|related|read-?more|most-?(read|popular|viewed)"
    r"|recommend|gallery|slideshow|carousel|caption|credit",
    re.IGNORECASE,
)
_VISIBLE_TEXT = XPath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")
_HIDDEN = frozenset({"script", "style", "noscript", "template"})
_SHORT = 250  # visible non-space characters: a caption, promo or link line; a story is longer
_LINK_SHARE = 0.9  # a short block whose text is this much link text is navigation or a teaser
_TEXT_BLOCKS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "blockquote", "div")
_BOXES = ("div", "section", "aside", "ul", "ol", "p", "span")


def _drop_boilerplate(tree: HtmlElement) -> None:
    """Remove, in place, blocks that would make hits from outside the story.

    - <figure> and <figcaption>: pictures, embeds and their captions;
    - a short paragraph holding a picture: a caption laid out as <p><img><em>…</em></p>;
    - a short block that starts "Read more:", "Читайте также:" … and holds a link;
    - a short block (not a <div>) that is nearly all link text: teasers, newsletter promos;
    - boxes named like newsletter, promo, related, most-read, gallery or caption, unless the box
      holds the page's <h1> or half its text (a site that names its article body "promo").
    """
    size = _visible_sizes(tree)
    doomed: list[HtmlElement] = list(tree.iter("figure", "figcaption"))
    for element in tree.iter(*_TEXT_BLOCKS):
        if 0 < size[element] <= _SHORT and _is_short_boilerplate(element, size):
            doomed.append(element)
    for element in tree.iter(*_BOXES):
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if (
            _BOX_WORDS.search(names)
            and size[element] < size[tree] / 2
            and element.find(".//h1") is None
        ):
            doomed.append(element)
    for element in _outermost(doomed):
        element.drop_tree()  # keeps the tail text, which belongs to the parent


def _rejoin_drop_caps(tree: HtmlElement) -> None:
    """Put a drop cap laid out before its paragraph back in front of it: <span>T</span><p>urkey…

    trafilatura would keep "urkey", and a topic word that starts a story would never match.
    """
    for element in list(tree.iter("span", "div", "b", "strong", "big", "font")):
        letter = (element.text or "").strip()
        follower = element.getnext()
        if (
            len(letter) == 1
            and letter.isalpha()
            and len(element) == 0
            and follower is not None
            and follower.tag == "p"
            and not (element.tail or "").strip()
        ):
            follower.text = letter + (follower.text or "").lstrip()
            element.drop_tree()


def _is_short_boilerplate(element: HtmlElement, size: dict[HtmlElement, int]) -> bool:
    if element.tag == "p" and element.find(".//img") is not None:
        return True
    links = list(element.iter("a"))
    if not links:
        return False
    if _READ_ALSO.match(" ".join(element.text_content().split())):
        return True
    linked = sum(size[link] for link in links)
    return element.tag != "div" and linked >= _LINK_SHARE * size[element]


def _visible_sizes(tree: HtmlElement) -> dict[HtmlElement, int]:
    """Each element's visible text length in non-space characters, in one bottom-up pass."""
    size: dict[HtmlElement, int] = {}
    for element in reversed(list(tree.iter())):  # every element comes after its descendants
        if not isinstance(element.tag, str) or element.tag in _HIDDEN:
            size[element] = 0
            continue
        total = _chars(element.text)
        for child in element:
            total += size[child] + _chars(child.tail)
        size[element] = total
    return size


def _chars(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def _outermost(elements: list[HtmlElement]) -> Iterator[HtmlElement]:
    chosen = set(elements)
    for element in dict.fromkeys(elements):
        if not any(parent in chosen for parent in element.iterancestors()):
            yield element


def plain_lines(text: str) -> str:
    """One paragraph per line, spaces collapsed, blank and credit lines gone."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line and not _CREDIT_LINE.fullmatch(line))
