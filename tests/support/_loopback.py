"""The plumbing the loopback fakes share: an aiohttp server in a thread, and waiting without sleeps.

`LoopbackServer` runs `aiohttp.web.Server(self._handle)` on 127.0.0.1 (a free port) with its own
event loop in a daemon thread, so plain sync tests, async tests and a subprocess under test can
all reach it. A subclass:

- implements `async _handle(request)`;
- records what it sees under `self._cond` and calls `self._cond.notify_all()`, which wakes
  `wait_for`; `_progress()` says what was recorded, for the timeout message;
- may extend `_bind` / `_unbind` (they run on the server's loop) and `_on_start`.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

T = TypeVar("T")


def describe(predicate: Callable[[], Any]) -> str:
    """A predicate's source line, for saying what a test was waiting for."""
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return getattr(predicate, "__qualname__", repr(predicate))


class LoopbackServer:
    """An aiohttp server on loopback with its own loop and thread (see the module docstring)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.ServerRunner | None = None
        # RLock-backed, so predicates given to wait_for may call the (re-entrant) accessors
        # of a subclass while it is held.
        self._cond = threading.Condition()

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        if self._loop is not None:
            raise RuntimeError(f"{self._name} is already running")
        self._on_start()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=self._name, daemon=True)
        self._thread.start()
        self._run(self._bind(0))
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        try:
            self._run(self._unbind())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str) -> str:
        return f"http://{self._host}:{self._port}{path}"

    # ----------------------------------------------------------------- waiting

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, what: str | None = None
    ) -> T:
        """Return predicate()'s first truthy result, re-checked whenever something is recorded."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self._name}: timed out after {timeout}s waiting for "
                        f"{what or describe(predicate)}\n{self._progress()}"
                    )
                self._cond.wait(remaining)

    def _progress(self) -> str:
        """What the server has seen so far; called with `_cond` held."""
        return ""

    # ----------------------------------------------------------------- for subclasses

    def _on_start(self) -> None:
        """Reset state before (re)starting; runs on the caller's thread."""

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        raise NotImplementedError

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the server's loop and wait for its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError(f"{self._name} is not running (use `with {self._name}() as ...:`)")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=15)

    async def _bind(self, port: int) -> None:
        """Listen on `port` (0: any free one); runs on the server's loop."""
        runner = web.ServerRunner(web.Server(self._handle), shutdown_timeout=2.0)
        await runner.setup()
        # Our own socket, so the port is known up front and the same one can be bound again
        # after a stop (SO_REUSEADDR avoids TIME_WAIT trouble).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, port))
        await web.SockSite(runner, sock).start()
        self._port = sock.getsockname()[1]
        self._runner = runner

    async def _unbind(self) -> None:
        """Stop listening; runs on the server's loop."""
        if self._runner is not None:
            # Closes the listening socket and the clients' keep-alive connections too, so a
            # pooled connection cannot keep talking to a stopped server.
            await self._runner.cleanup()
            self._runner = None
