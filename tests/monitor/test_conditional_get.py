"""The conditional GET middleware: a job's stored validators go out as request headers
(RFC 9110 §13.1.1 If-None-Match, §13.1.3 If-Modified-Since). The 304 round trip through the real
service is in test_fetch.py."""

from __future__ import annotations

import pytest
from scrapy import Request

from monitor.conditional_get import ConditionalGetMiddleware
from monitor.fetch import FetchJob

DATE = "Fri, 27 Nov 2026 12:00:00 GMT"


def headers_sent(job: FetchJob | None, **headers: str) -> dict[str, str]:
    req = Request("http://news.example/feed.xml", headers=headers, meta={"dozor_job": job} if job else {})
    assert ConditionalGetMiddleware().process_request(req) is None
    return {key.decode().lower(): req.headers[key].decode() for key in req.headers}


@pytest.mark.parametrize(("etag", "last_modified", "expected"), [
    ('"v1"', DATE, {"if-none-match": '"v1"', "if-modified-since": DATE}),
    ('W/"v1"', None, {"if-none-match": 'W/"v1"'}),
    (None, DATE, {"if-modified-since": DATE}),
    (None, None, {}),  # first poll, or the server sent no validators
])
def test_the_jobs_validators_become_conditional_headers(etag, last_modified, expected):
    job = FetchJob(key="s", url="http://news.example/feed.xml", etag=etag, last_modified=last_modified)
    assert headers_sent(job) == expected


def test_a_request_without_a_job_is_left_alone():
    assert headers_sent(None) == {}


def test_validators_the_spider_set_itself_win():
    job = FetchJob(key="s", url="http://news.example/feed.xml", etag='"stored"')
    assert headers_sent(job, **{"If-None-Match": '"own"'}) == {"if-none-match": '"own"'}
