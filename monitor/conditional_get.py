"""Conditional GET as a Scrapy downloader middleware: each request carries its job's validators, so
an unchanged feed answers 304 Not Modified with no body (RFC 9110 §13.1.1, §13.1.3).

The validators come from the last good response (stored per source and carried on the request as
`meta["dozor_job"]`); ingest then skips parsing a 304. Scrapy has no such middleware: its HTTP
cache is a different thing (it stores bodies on disk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import Request

if TYPE_CHECKING:
    from monitor.fetch import FetchJob


class ConditionalGetMiddleware:
    """Adds If-None-Match / If-Modified-Since from the request's `dozor_job`, if it has any."""

    def process_request(self, request: Request) -> None:
        job: FetchJob | None = request.meta.get("dozor_job")
        if job is None:
            return None  # not one of ours (robots.txt, say): nothing to validate against
        # setdefault: a spider that sets its own validators knows better.
        if job.etag:
            request.headers.setdefault("If-None-Match", job.etag)
        if job.last_modified:
            request.headers.setdefault("If-Modified-Since", job.last_modified)
        return None
