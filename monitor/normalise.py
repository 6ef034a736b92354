"""Turn scraped strings into clean, comparable values: canonical URLs, plain text, sane times.

Pure functions: the same article must compare equal however a feed spelled it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.html import remove_comments, remove_tags, remove_tags_with_content

# Query parameters that only track the reader (plus every utm_*): the same article must compare
# equal without them. ysclid/yclid/_openstat are Yandex's, common on Russian-language sites.
_TRACKING = frozenset({
    "fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid", "yclid", "ysclid", "_openstat",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "twclid", "ttclid",
    "srsltid", "ref_src", "vero_id", "oly_anon_id", "oly_enc_id",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
# Characters a path may hold unescaped (RFC 3986 pchar + "/"); "%" stays so escapes are kept.
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"

# Zero-width characters, soft hyphen, bidi controls and BOM: invisible, but they split words
# ("заба\u00adстовка") so keywords would not match, and bidi controls can disguise a title.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# Tags that break a line in a browser: replaced by a space so "<p>one</p><p>two</p>" keeps two words.
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|hr|section|article|header|"
    r"footer|figure|figcaption|dd|dt|pre)\b[^>]*>",
    re.IGNORECASE,
)

# A date this far in the future is a publisher's mistake (or a wrong time zone); so is one before
# the web had news feeds. Either way the fetch time is a better guess.
FUTURE_SLACK = timedelta(days=1)
EARLIEST = datetime(1995, 1, 1, tzinfo=timezone.utc)


def canonical_url(url: str, base: str | None = None) -> str:
    """Absolute URL: lower-case scheme and host, no default port, fragment or tracking parameters."""
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    scheme = parts.scheme.lower()
    netloc = _netloc(parts.netloc, scheme)
    path = _upper_escapes(_quote_path(parts.path)) or "/"
    # Filtered, not re-encoded: "?12345" must not become "?12345=", nor "%20" turn into "+".
    query = _upper_escapes("&".join(p for p in parts.query.split("&") if p and not _is_tracking(p)))
    # "#!" fragments are routes of old JavaScript sites, not places in a page: they name the article.
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    return urlunsplit((scheme, netloc, path, query, fragment))


def plain_text(html: str | None) -> str:
    """HTML → one line of readable text: tags and scripts stripped, entities decoded once."""
    if not html:
        return ""
    text = html
    if "<" in text:
        text = remove_tags_with_content(remove_comments(text), which_ones=("script", "style"))
        text = remove_tags(_BLOCK_TAG.sub(" ", text))
    # Decoded once only: "&amp;amp;" is a publisher's double escape and reads "&amp;", as a browser shows.
    return clean_text(unescape(text) if "&" in text else text)


def clean_text(text: str | None) -> str:
    """Plain text → one line: invisible and control characters removed, whitespace collapsed."""
    if not text:
        return ""
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    return _SPACE.sub(" ", text).strip()


def published_time(value: datetime | None, now: datetime) -> datetime:
    """The publication time in UTC; `now` when missing or absurd (future, or before 1995)."""
    if value is None:
        return now
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # feeds without a zone mean UTC far more often than not
    if value > now + FUTURE_SLACK or value < EARLIEST:
        return now
    return value.astimezone(timezone.utc)


def _netloc(netloc: str, scheme: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if ":" in hostport and not hostport.endswith("]"):  # "[::1]" has colons but no port
        host, _, port = hostport.rpartition(":")
    if not port.isdigit() or int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    return f"{userinfo}{at}{host.lower()}{':' + port if port else ''}"


def _quote_path(path: str) -> str:
    # "/новости/1" and "/%D0%BD%D0%BE…/1" are the same page; keep the escaped form browsers send.
    return quote(path, safe=_PATH_SAFE)


def _upper_escapes(text: str) -> str:
    return _PERCENT.sub(lambda match: match.group(0).upper(), text)  # "%d0" and "%D0" are equal (RFC 3986 §6.2.2.1)


def _is_tracking(pair: str) -> bool:
    key = unquote_plus(pair.split("=", 1)[0]).lower()
    return key.startswith("utm_") or key in _TRACKING
