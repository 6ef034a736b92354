"""Turn scraped strings into clean, comparable values: canonical URLs and plain text."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.html import remove_tags

# Query parameters that only track the reader; the same article must compare equal without them.
_TRACKING = {"fbclid", "gclid", "yclid", "dclid", "msclkid", "igshid", "mc_cid", "mc_eid", "_ga", "ref_src"}
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_SPACE = re.compile(r"\s+")


def canonical_url(url: str, base: str | None = None) -> str:
    """Absolute URL with lower-case scheme and host, no fragment and no tracking parameters."""
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in _TRACKING
    ]
    netloc = parts.netloc.lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if parts.scheme.lower() == scheme and netloc.endswith(port):
            netloc = netloc.removesuffix(port)
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query, doseq=True), ""))


def plain_text(value: str | None) -> str:
    """HTML → one line of readable text: tags stripped, entities decoded, invisibles removed."""
    if not value:
        return ""
    text = unescape(remove_tags(value)) if "<" in value or "&" in value else value
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()
