"""Where Dozor will not fetch from: a Scrapy downloader middleware that refuses non-http(s) URLs
and, unless the source says `allow_private: true`, private addresses (an SSRF guard).

A config URL, or any redirect it leads to, could point the service at the machine it runs on or
its network (127.0.0.1, 10.x, 169.254.169.254 cloud metadata …). Every request passes through
`UrlGuardMiddleware.process_request`: the first one and every redirect hop, since Scrapy's
redirect middleware sends the new request through the downloader middlewares again, with the
`dozor_job` meta copied over. A host that is, or resolves to, any address that is not publicly
routable (`is_private` below) is refused with a message that names the address and the fix.

Residual risk, DNS rebinding: the guard resolves the host, then Twisted resolves it again to
connect (no cache is shared: Scrapy's caching resolver is only installed by CrawlerProcess, not by
the AsyncCrawlerRunner the service uses). A name whose answer changes between the two lookups
(a short TTL, or a hostile DNS server) can still reach a private address. Closing that needs the
connection itself to check the address it connected to; until then, sources that fetch from
untrusted hosts should also run where the private network has nothing to give away.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlparse

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from monitor.fetch import FetchJob

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int | None], Awaitable[list[IPAddress]]]

SCHEMES = ("http", "https")
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_FIX = "set allow_private: true for this source if intended"


class FetchRefused(IgnoreRequest):
    """A request Dozor will not make; the message says why, in words for the operator."""


def is_private(address: IPAddress) -> bool:
    """True for any address a source needs `allow_private` for: loopback, private, link-local,
    reserved, multicast, unspecified, shared (100.64/10), or an IPv6 form of one of those."""
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_private(embedded)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


async def resolve(host: str, port: int | None) -> list[IPAddress]:
    """Every address (IPv4 and IPv6) the system resolver gives for `host`, as Twisted's connect
    asks for them; runs in a thread, so the reactor never blocks."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ip_address(info[4][0]) for info in infos]


class UrlGuardMiddleware:
    """Refuses each request or redirect to a non-http(s) URL, or to a private address unless the
    request's `dozor_job` allows it."""

    def __init__(self, resolver: Resolver = resolve) -> None:
        self.resolver = resolver

    async def process_request(self, request: Request) -> None:
        hop = "redirect to" if request.meta.get("redirect_urls") else "request to"
        url = urlparse_cached(request)
        if url.scheme not in SCHEMES:
            raise FetchRefused(f"{hop} {request.url} refused: only http and https URLs are fetched")
        job: FetchJob | None = request.meta.get("dozor_job")
        if job is not None and job.allow_private:
            return None
        host = url.hostname or ""
        literal = _literal_address(host)
        if literal is not None:
            if is_private(literal):
                raise FetchRefused(f"{hop} a private address {literal} refused ({_FIX})")
            return None
        timeout = request.meta.get("download_timeout")
        for address in await self._addresses(host, url.port, timeout):
            if is_private(address):
                raise FetchRefused(
                    f"{hop} {host} refused: it resolves to the private address {address} ({_FIX})"
                )
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        """Name a redirect to a non-http(s) URL: Scrapy's redirect middleware would not follow it
        and the spider would see an unexplained 3xx."""
        location = response.headers.get("Location")
        if response.status in _REDIRECT_STATUSES and location:
            target = urljoin(request.url, location.decode("latin-1"))
            if urlparse(target).scheme not in SCHEMES:
                raise FetchRefused(f"redirect to {target} refused: only http and https URLs are fetched")
        return response

    async def _addresses(self, host: str, port: int | None, timeout: float | None) -> list[IPAddress]:
        try:
            return await asyncio.wait_for(self.resolver(host, port), timeout)
        except (OSError, TimeoutError, ValueError):
            # Let the download try, so the failure reads as the usual DNS error.
            return []


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        return None
