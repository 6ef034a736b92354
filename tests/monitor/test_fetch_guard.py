"""The URL guard on its own: which addresses count as private, and what it refuses on a first
request and on a redirect hop built by Scrapy's own RedirectMiddleware. No network: a fake
resolver stands in for DNS, and no test uses a name it does not know."""

from __future__ import annotations

from ipaddress import ip_address

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from monitor.config import Config
from monitor.fetch import FetchJob, scrapy_settings
from monitor.fetch_guard import FetchRefused, IPAddress, UrlGuardMiddleware, is_private

FIX = "(set allow_private: true for this source if intended)"
HTTP_ONLY = "only http and https URLs are fetched"


@pytest.mark.parametrize(("address", "private"), [
    ("127.0.0.1", True),                 # loopback
    ("127.8.9.10", True),                # all of 127/8 is loopback
    ("10.1.2.3", True),                  # RFC 1918
    ("172.16.0.1", True),
    ("192.168.1.1", True),
    ("169.254.169.254", True),           # link-local: cloud metadata services live here
    ("100.64.0.1", True),                # shared address space (carrier NAT), not global
    ("0.0.0.0", True),                   # unspecified
    ("224.0.0.1", True),                 # multicast
    ("240.0.0.1", True),                 # reserved
    ("255.255.255.255", True),           # broadcast
    ("::1", True),
    ("::", True),
    ("fe80::1", True),                   # IPv6 link-local
    ("fc00::1", True),                   # IPv6 unique local
    ("ff02::1", True),                   # IPv6 multicast
    ("::ffff:127.0.0.1", True),          # IPv4-mapped loopback
    ("::ffff:10.0.0.1", True),
    ("2002:7f00:1::", True),             # 6to4 wrapping 127.0.0.1
    ("93.184.216.34", False),            # a public web server
    ("8.8.8.8", False),
    ("::ffff:93.184.216.34", False),     # IPv4-mapped public
    ("2606:2800:220:1:248:1893:25c8:1946", False),
])
def test_which_addresses_are_private(address, private):
    assert is_private(ip_address(address)) is private


def fake_dns(table: dict[str, list[str]]):
    async def resolve(host: str, _port: int | None) -> list[IPAddress]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return [ip_address(a) for a in table[host]]
    return resolve


DNS = fake_dns({
    "news.example": ["93.184.216.34"],
    "intranet.example": ["10.0.0.7"],
    # One private answer among public ones is enough: Twisted may connect to any of them.
    "mixed.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "127.0.0.1"],
})


def request(url: str, allow_private: bool = False) -> Request:
    return Request(url, meta={"dozor_job": FetchJob(key="s", url=url, allow_private=allow_private)})


async def refusal(req: Request, guard: UrlGuardMiddleware | None = None) -> str | None:
    try:
        await (guard or UrlGuardMiddleware(DNS)).process_request(req)
    except FetchRefused as refused:
        return str(refused)
    return None


@pytest.mark.parametrize(("url", "expected"), [
    ("http://news.example/feed.xml", None),
    ("https://93.184.216.34/feed.xml", None),
    ("http://127.0.0.1:8080/feed.xml", f"request to a private address 127.0.0.1 refused {FIX}"),
    ("http://[::1]/feed.xml", f"request to a private address ::1 refused {FIX}"),
    ("http://[::ffff:127.0.0.1]/", f"request to a private address ::ffff:7f00:1 refused {FIX}"),
    ("http://intranet.example/feed.xml",
     f"request to intranet.example refused: it resolves to the private address 10.0.0.7 {FIX}"),
    ("http://mixed.example/feed.xml",
     f"request to mixed.example refused: it resolves to the private address 127.0.0.1 {FIX}"),
    # Resolution failed: let the download fail with the usual DNS error.
    ("http://unknown.example/feed.xml", None),
    ("ftp://news.example/feed.xml", f"request to ftp://news.example/feed.xml refused: {HTTP_ONLY}"),
    ("file:///etc/passwd", f"request to file:///etc/passwd refused: {HTTP_ONLY}"),
])
async def test_a_first_request_is_refused_for_a_private_address_or_a_non_http_url(url, expected):
    assert await refusal(request(url)) == expected


async def test_a_source_that_allows_private_addresses_is_not_even_resolved():
    async def no_dns(host: str, _port: int | None) -> list[IPAddress]:
        raise AssertionError(f"resolved {host}")
    guard = UrlGuardMiddleware(no_dns)
    assert await refusal(request("http://intranet.example/", allow_private=True), guard) is None
    assert await refusal(request("http://127.0.0.1/", allow_private=True), guard) is None


async def test_a_request_that_is_not_a_sources_gets_no_exemption():
    # robots.txt requests, say: Scrapy makes them without our meta.
    assert "private address 127.0.0.1" in await refusal(Request("http://127.0.0.1/robots.txt"))


def follow(req: Request, location: str) -> Request:
    """What Scrapy's own RedirectMiddleware makes of a 302 to `location`."""
    # The service's settings, minus the reactor: this test needs none, and must not install one.
    settings = {**scrapy_settings(Config()), "TWISTED_REACTOR_ENABLED": False}
    crawler = get_crawler(settings_dict=settings)
    redirect = RedirectMiddleware.from_crawler(crawler)
    hop = redirect.process_response(req, Response(req.url, status=302, headers={"Location": location}))
    assert isinstance(hop, Request)
    return hop


@pytest.mark.parametrize(("allow_private", "expected"), [
    (False, f"redirect to a private address 10.0.0.5 refused {FIX}"),
    (True, None),
])
async def test_each_redirect_hop_carries_the_job_and_is_checked_again(allow_private, expected):
    first = request("http://news.example/feed.xml", allow_private)
    assert await refusal(first) is None
    hop = follow(first, "http://10.0.0.5/admin")
    assert hop.meta["dozor_job"] is first.meta["dozor_job"]
    assert await refusal(hop) == expected


def test_a_redirect_to_a_non_http_url_is_refused_with_its_target():
    req = request("http://news.example/feed.xml")
    guard = UrlGuardMiddleware(DNS)
    moved = Response(req.url, status=301, headers={"Location": "ftp://files.example/feed.xml"})
    with pytest.raises(FetchRefused, match="^redirect to ftp://files.example/feed.xml refused: only http"):
        guard.process_response(req, moved)
    relative = Response(req.url, status=302, headers={"Location": "/elsewhere.xml"})
    assert guard.process_response(req, relative) is relative
