"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1/), which feedparser does not read."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from monitor.charset import codec_name
from monitor.feedmodel import NotAFeed, RawEntry, RawFeed
from monitor.normalise import clean_text, plain_text

VERSION_PREFIX = "https://jsonfeed.org/version/"
_JSON_MEDIA_TYPES = ("application/feed+json", "application/json")
# Publishers often escape the slashes: "https:\/\/jsonfeed.org\/version\/1".
_VERSION = re.compile(rb'"version"\s*:\s*"https:\\?/\\?/jsonfeed\.org\\?/version\\?/')
_LEADING = b"\xef\xbb\xbf \t\r\n"


def looks_like_json_feed(body: bytes, content_type: str) -> bool:
    """A JSON object served as JSON, or one that names a JSON Feed version."""
    if not body.lstrip(_LEADING).startswith(b"{"):
        return False  # "application/json" on an XML body is a server's mistake: let the XML reader try
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_MEDIA_TYPES or media_type.endswith("+json") or bool(_VERSION.search(body))


def read_json_feed(body: bytes, headers: Mapping[str, str]) -> RawFeed:
    """Read a JSON Feed; raises NotAFeed when the bytes are not one."""
    try:
        document = json.loads(_decode(body, headers.get("content-type", "")))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotAFeed(f"not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise NotAFeed('JSON, but not a JSON Feed: no "items" list (see https://jsonfeed.org/version/1.1/)')
    version = document.get("version")
    known = isinstance(version, str) and version.startswith(VERSION_PREFIX)
    return RawFeed(
        format="json" + version.removeprefix(VERSION_PREFIX).strip("/") if known else "json",
        title=clean_text(_string(document, "title")),
        language=_string(document, "language") or None,
        entries=[_entry(item) for item in document["items"] if isinstance(item, dict)],
        encoding="utf-8",
    )


def _entry(item: dict[str, Any]) -> RawEntry:
    # The spec's "summary" and "content_text" are plain text; only "content_html" is HTML.
    summary = clean_text(_string(item, "summary") or _string(item, "content_text"))
    return RawEntry(
        link=_string(item, "url") or _string(item, "external_url"),
        guid=_id(item.get("id")),
        title=clean_text(_string(item, "title")),
        summary=summary or plain_text(_string(item, "content_html")),
        published=_time(_string(item, "date_published") or _string(item, "date_modified")),
        language=_string(item, "language") or None,
    )


def _decode(body: bytes, content_type: str) -> str | bytes:
    # JSON is UTF-8 (RFC 8259 §8.1) and json.loads sniffs UTF-16/32; honour any other declared charset.
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    name = codec_name(match.group(1)) if match else None
    if name and not name.startswith("utf"):
        return body.decode(name, errors="replace")
    return body


def _string(node: dict[str, Any], key: str) -> str:
    value = node.get(key)
    return value.strip() if isinstance(value, str) else ""


def _id(value: Any) -> str | None:
    # The spec says a string, but JSON Feed 1.0 producers often wrote numbers.
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    return text or None


def _time(value: str) -> datetime | None:
    """RFC 3339 as the spec says; RFC 822 as some producers write anyway."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
