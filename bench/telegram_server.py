"""A Bot API stand-in for bench/delivery.py that enforces Telegram's 30 messages a second.

    python bench/telegram_server.py [--rate 30]      # prints the port, serves until stdin closes

Strict on purpose: a sendMessage that would make more than `--rate` accepted messages within any
one second (a sliding window) is answered 429 with retry_after 1, as Telegram does. getMe,
deleteWebhook and getUpdates answer like the real API; everything else answers `true`.
GET /stats returns what happened: accepted sends with their times, 429s, other calls.

It runs in its own process, so its CPU is not counted as Dozor's. It stops when its stdin closes
(the benchmark died) or on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import deque
from typing import Any

from aiohttp import web


class RateLimitedBotApi:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.window: deque[float] = deque()
        self.sent: list[tuple[float, int]] = []  # (monotonic time, chat id)
        self.too_many = 0
        self.calls: dict[str, int] = {}
        self.next_id = 1

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        self.calls[method] = self.calls.get(method, 0) + 1
        params = await _params(request)
        if method == "getme":
            return _ok({"id": 1, "is_bot": True, "first_name": "Dozor", "username": "dozor_bench_bot"})
        if method == "getupdates":
            await asyncio.sleep(min(float(params.get("timeout", 0) or 0), 5.0))
            return _ok([])
        if method == "sendmessage":
            return self.send(int(params["chat_id"]), str(params.get("text", "")))
        return _ok(True)

    def send(self, chat_id: int, text: str) -> web.Response:
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.rate:
            self.too_many += 1
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.window.append(now)
        self.sent.append((now, chat_id))
        self.next_id += 1
        return _ok({"message_id": self.next_id, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "text": text})

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"sent": self.sent, "too_many": self.too_many, "calls": self.calls})


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(await request.post())
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


async def serve(rate: int) -> None:
    api = RateLimitedBotApi(rate)
    app = web.Application()
    app.router.add_get("/stats", api.stats)
    app.router.add_route("*", "/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)
    # Stop when the benchmark goes away: its end of our stdin closes.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=30, help="messages accepted per sliding second")
    asyncio.run(serve(parser.parse_args().rate))


if __name__ == "__main__":
    main()
