"""A FixtureServer whose answers can be held at a gate, and which notes when each request came.

Crash tests need `dozor run` caught in the middle of a crawl: with the gate closed, every request
is recorded and its response prepared as usual, then held until the test opens the gate again
(or the server stops). `held` says how many are waiting, so a test can kill the service while
Scrapy has several feeds on the wire:

    with GatedFixtureServer() as server:
        server.close_gate()
        server.wait_for(lambda: server.held >= 2, what="two feed requests on the wire")
        os.killpg(service.pid, signal.SIGKILL)

`arrivals(path)` gives the monotonic time of each request for `path` (query ignored), for tests
of how often a source is polled.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from tests.support.fixture_server import FixtureServer


class GatedFixtureServer(FixtureServer):
    """FixtureServer plus a gate the test opens and closes, and arrival times per request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self._gate_open = True
        self._gate: asyncio.Event | None = None  # lives on the server's loop; set = open
        self._held = 0
        self._arrivals: list[tuple[float, str]] = []  # (monotonic time, path without query)

    # ----------------------------------------------------------------- test side

    def close_gate(self) -> None:
        """Hold every response from now on until `open_gate` (requests are still recorded)."""
        self._run(self._set_gate(False))

    def open_gate(self) -> None:
        """Let the held responses go, and every later one straight through."""
        self._run(self._set_gate(True))

    @property
    def held(self) -> int:
        """Responses waiting at the gate right now."""
        with self._cond:
            return self._held

    def arrivals(self, path: str) -> list[float]:
        """When each request for `path` arrived (time.monotonic()), oldest first."""
        with self._cond:
            return [at for at, seen in self._arrivals if seen == path]

    # ----------------------------------------------------------------- server side

    async def _bind(self, port: int) -> None:
        self._gate = asyncio.Event()
        if self._gate_open:
            self._gate.set()
        await super()._bind(port)

    async def _unbind(self) -> None:
        # Held handlers must not make shutdown wait for its grace period.
        if self._gate is not None:
            self._gate.set()
        await super()._unbind()

    async def _set_gate(self, open_: bool) -> None:
        assert self._gate is not None
        self._gate_open = open_
        if open_:
            self._gate.set()
        else:
            self._gate.clear()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        with self._cond:
            self._arrivals.append((time.monotonic(), request.path))
        response = await super()._handle(request)  # records it and prepares the answer
        assert self._gate is not None
        if not self._gate.is_set():
            with self._cond:
                self._held += 1
                self._cond.notify_all()
            try:
                await self._gate.wait()
            finally:
                with self._cond:
                    self._held -= 1
                    self._cond.notify_all()
        return response
