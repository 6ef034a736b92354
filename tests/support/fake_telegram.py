"""A fake Telegram Bot API on loopback, for tests of the alert bot.

The server runs an aiohttp app on 127.0.0.1 (a free port) in a background thread with
its own event loop, so both plain sync tests and a bot running as a subprocess can reach it:

    with FakeBotApi() as api:
        app = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build()
        # ... or pass api.base_url to the subprocess under test ...
        api.send_command(7, "/start")
        api.wait_for(lambda: api.messages_to(7), what="a reply to /start")
        api.fail("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
        api.set_down("refuse")  # outage: connections are refused until set_down(None)

In end-to-end tests, `api.wait_for(lambda: api.polling, what="the bot to poll")` tells when
the bot under test has started listening.

python-telegram-bot appends the token to `base_url`, so requests arrive as
`POST /bot<token>/<method>`. Parameters may come as form data (what PTB sends: every value
as a string, objects and lists JSON-encoded), multipart form data or a JSON body; they are
normalised into plain Python values before they are recorded or used.

Everything a test reads (`sent`, `calls`, `failures`, `token_seen`, ...) is a copy taken
under a lock, and `wait_for` wakes up whenever the server records something, so tests never
need to sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from aiohttp import web

from tests.support._loopback import LoopbackServer
from tests.support.telegram_html import MAX_TEXT, HtmlError, visible_text

DownMode = Literal["refuse", "502", "hang"]
Params = dict[str, Any]

BOT_USER: dict[str, Any] = {
    "id": 1000001,
    "is_bot": True,
    "first_name": "Dozor Test",
    "username": "dozor_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

_PATH_RE = re.compile(r"/bot([^/]+)/([^/]+)")
# Form data carries every value as a string; these are the scalars worth turning back into
# numbers and booleans so tests can compare `chat_id == 7` rather than `== "7"`.
_NUMBER_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time",
     "reply_to_message_id", "message_thread_id", "from_chat_id"}
)
_BOOL_PARAMS = frozenset(
    {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
     "disable_web_page_preview", "allow_sending_without_reply"}
)
# Free text can legitimately look like JSON ("[1, 2]"); never decode these.
_TEXT_PARAMS = frozenset(
    {"text", "caption", "title", "description", "short_description", "callback_query_id"}
)
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class _ApiError(Exception):
    """A Telegram error answer: raised by method handlers, turned into a JSON response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int
    migrate_to_chat_id: int | None = None


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _TEXT_PARAMS:
        return value
    if name in _NUMBER_PARAMS:
        for convert in (int, float):
            try:
                return convert(value)
            except ValueError:
                pass
        return value  # e.g. chat_id="@channel"
    if name in _BOOL_PARAMS:
        return value.strip().lower() == "true"
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


async def _read_params(request: web.BaseRequest) -> Params:
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else None
        if isinstance(body, dict):
            raw.update(body)
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                value = {"filename": value.filename, "size": len(value.file.read())}
            raw[name] = value
    return {name: _decode_value(name, value) for name, value in raw.items()}


class FakeBotApi(LoopbackServer):
    """Loopback fake of the Telegram Bot API (see the module docstring)."""

    def __init__(self, *, token: str | None = None, host: str = "127.0.0.1") -> None:
        """`token`: if given, any other token is answered 401 Unauthorized like the real API."""
        super().__init__(host)
        self._expected_token = token
        # `self._cond` (from LoopbackServer) guards all recorded state below.
        self._wakeup: asyncio.Event | None = None  # loop-side signal, replaced on every wake
        self._closing = False
        self._mode: DownMode | None = None
        self._tokens: set[str] = set()
        self._calls: list[tuple[str, Params]] = []
        self._sent: list[dict[str, Any]] = []
        self._failures: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._chat_admins: dict[int, set[int]] = {}
        self._allowed_updates: list[str] | None = None
        self._commands: dict[tuple[str, str], list[Any]] = {}
        self._polling = 0
        self._answers: list[dict[str, Any]] = []
        self._open_queries: set[str] = set()  # callback queries sent to the bot, not answered yet
        handlers: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "close": self._just_true,
            "logOut": self._just_true,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChatMember": self._get_chat_member,
        }
        # Telegram method names are case-insensitive; calls are recorded in documented case.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ----------------------------------------------------------------- lifecycle

    def _on_start(self) -> None:
        self._mode = None  # a restarted fake is up, whatever outage it was stopped in

    @property
    def base_url(self) -> str:
        """What to give PTB as `base_url`; it appends the token itself."""
        return self.url("/bot")

    # ------------------------------------------------------------ test-side: updates

    def send_command(self, chat_id: int, text: str, language_code: str = "en",
                     user_id: int | None = None) -> dict[str, Any]:
        """Queue a message; a leading `/word` gets a `bot_command` entity. In a group (a negative
        `chat_id`) `user_id` says who wrote it (see `set_chat_admins`)."""
        message = self._user_message(chat_id, text, language_code, user_id)
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            # Entity offsets and lengths are counted in UTF-16 code units.
            length = len(command.encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._queue_update("message", message)

    def send_text(self, chat_id: int, text: str, language_code: str = "en") -> dict[str, Any]:
        """Queue a plain private-chat message (no entities)."""
        return self._queue_update("message", self._user_message(chat_id, text, language_code))

    def press_button(
        self, chat_id: int, data: str, message_id: int, language_code: str = "en", user_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a callback_query for an inline button under the bot's message `message_id`.

        The bot's answerCallbackQuery is recorded (`callback_answer(update)`); a second answer to
        the same query fails with 400, as in the real API."""
        with self._cond:
            message = self._messages.get((chat_id, message_id)) or {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": BOT_USER,
                "text": "",
            }
            query_id = str(next(self._callback_ids))
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": self._user(user_id or chat_id, language_code),
                "chat_instance": str(chat_id),
                "message": dict(message),
                "data": data,
            }
        return self._queue_update("callback_query", query)

    def set_chat_admins(self, chat_id: int, user_ids: set[int]) -> None:
        """Who getChatMember says is an administrator of a group (everyone else: "member")."""
        with self._cond:
            self._chat_admins[chat_id] = set(user_ids)

    def block_bot(self, chat_id: int) -> dict[str, Any]:
        """The user blocks the bot: queue my_chat_member (new status "kicked").

        Like the real API, later sendMessage/sendChatAction/edits to that chat then fail with
        403 "Forbidden: bot was blocked by the user" until `unblock_bot`.
        """
        with self._cond:
            self._blocked.add(chat_id)
        change = self._member_change(chat_id, "member", "kicked")
        return self._queue_update("my_chat_member", change)

    def unblock_bot(self, chat_id: int) -> dict[str, Any]:
        """The user restarts the bot: queue my_chat_member (new status "member")."""
        with self._cond:
            self._blocked.discard(chat_id)
        change = self._member_change(chat_id, "kicked", "member")
        return self._queue_update("my_chat_member", change)

    # ------------------------------------------------------------ test-side: records

    @property
    def token_seen(self) -> set[str]:
        with self._cond:
            return set(self._tokens)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Successful sendMessage calls, oldest first."""
        with self._cond:
            return [dict(record) for record in self._sent]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [record for record in self.sent if record["chat_id"] == chat_id]

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls, oldest first: {callback_query_id, text, show_alert}."""
        with self._cond:
            return [dict(answer) for answer in self._answers]

    def callback_answer(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """The bot's answer to a button press queued by `press_button` (its update), or None yet."""
        query_id = update["callback_query"]["id"]
        return next((a for a in self.callback_answers if a["callback_query_id"] == query_id), None)

    @property
    def calls(self) -> list[tuple[str, Params]]:
        """Every request that reached the server (failed ones too), as (method, params)."""
        with self._cond:
            return list(self._calls)

    @property
    def failures(self) -> list[dict[str, Any]]:
        """Calls answered with an error: {method, params, chat_id, status, description, time}."""
        with self._cond:
            return [dict(record) for record in self._failures]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates the bot has not confirmed (via getUpdates offset) yet."""
        with self._cond:
            return list(self._updates)

    @property
    def polling(self) -> int:
        """How many getUpdates long polls are parked right now (1 = "the bot is listening")."""
        with self._cond:
            return self._polling

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The bot's message as it is now (after edits), or None."""
        with self._cond:
            found = self._messages.get((chat_id, message_id))
            return dict(found) if found else None

    # ------------------------------------------------------------ test-side: faults

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `chat_id`, if given) fail like Telegram.

        `migrate_to_chat_id`: the group became a supergroup with this id (a 400 with that parameter)."""
        with self._cond:
            fault = _Fault(method.lower(), status, description, retry_after, chat_id, times, migrate_to_chat_id)
            self._faults.append(fault)

    def set_down(self, mode: DownMode | None) -> None:
        """Simulate an outage: "refuse" (nothing listens on the port), "502" (every call gets
        nginx's 502 page), "hang" (requests are accepted but not answered); None restores.

        Long polls parked when an outage starts return [] (a dropped connection would end
        them too); calls made during the outage are recorded in `calls` and, when answered
        with 502, in `failures`.
        """
        if mode is not None and mode not in get_args(DownMode):
            raise ValueError(f"unknown down mode {mode!r}")
        self._run(self._set_mode(mode))

    # ------------------------------------------------------------ waiting (wait_for)

    def _progress(self) -> str:
        lines: list[str] = []
        polls = 0
        for method, params in self._calls:
            if method == "getUpdates":
                polls += 1
                continue
            shown = {k: params[k] for k in ("chat_id", "message_id", "text", "data") if k in params}
            lines.append(f"  {method} {shown}")
        lines = lines[-25:]
        lines.append(f"  (+ {polls} getUpdates polls)")
        lines += [
            f"  FAILED {f['method']} -> {f['status']} {f['description']}"
            for f in self._failures[-10:]
        ]
        lines.append(f"  pending updates: {[u['update_id'] for u in self._updates]}")
        return "Calls so far:\n" + "\n".join(lines)

    # ------------------------------------------------------------ loop plumbing

    def _wake_loop(self) -> None:
        """Wake parked requests (long polls, hung calls) so they re-check the state."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        # Replacing the event (instead of set/clear) means every waiter that grabbed the old
        # one is released, and nobody can miss a wake that happens between check and wait.
        old, self._wakeup = self._wakeup, asyncio.Event()
        if old is not None:
            old.set()

    async def _bind(self, port: int) -> None:
        # After a "refuse" outage the same port is bound again (see LoopbackServer._bind).
        self._wake()
        self._closing = False
        await super()._bind(port)

    async def _unbind(self) -> None:
        # Also what "refuse" does: no socket, and no keep-alive connection to a "down" server.
        self._closing = True
        self._wake()
        await super()._unbind()

    async def _set_mode(self, mode: DownMode | None) -> None:
        old = self._mode
        with self._cond:
            self._mode = mode
            self._cond.notify_all()
        if mode == "refuse" and old != "refuse":
            await self._unbind()
        elif old == "refuse" and mode != "refuse":
            await self._bind(self._port)
        else:
            self._wake()

    # ------------------------------------------------------------ request handling

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        match = _PATH_RE.fullmatch(request.path)
        if match is None:
            return self._error_response(404, "Not Found")
        token, name = match.groups()
        method, handler = self._methods.get(name.lower(), (name, None))
        try:
            params = await _read_params(request)
        except ValueError:  # a malformed JSON body
            return self._error_response(400, "Bad Request: can't parse JSON object")
        with self._cond:
            self._tokens.add(token)
            self._calls.append((method, params))
            self._cond.notify_all()

        while self._mode == "hang" and not self._closing:
            wakeup = self._wakeup
            assert wakeup is not None
            await wakeup.wait()
        if self._mode is not None or self._closing:
            self._record_failure(method, params, 502, "Bad Gateway")
            return web.Response(status=502, text=_NGINX_502, content_type="text/html")

        try:
            if self._expected_token is not None and token != self._expected_token:
                raise _ApiError(401, "Unauthorized")
            if handler is None:
                raise _ApiError(404, "Not Found")
            self._raise_injected_fault(method, params)
            result = await handler(params)
        except _ApiError as error:
            self._record_failure(method, params, error.status, error.description)
            return self._error_response(error.status, error.description, error.retry_after,
                                        error.migrate_to_chat_id)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error_response(
        status: int, description: str, retry_after: int | None = None, migrate_to_chat_id: int | None = None
    ) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        if migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": migrate_to_chat_id}
        return web.json_response(body, status=status)

    def _raise_injected_fault(self, method: str, params: Params) -> None:
        with self._cond:
            for fault in self._faults:
                if fault.method == method.lower() and (
                    fault.chat_id is None or fault.chat_id == params.get("chat_id")
                ):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    raise _ApiError(fault.status, fault.description, fault.retry_after,
                                    fault.migrate_to_chat_id)

    def _record_failure(self, method: str, params: Params, status: int, description: str) -> None:
        with self._cond:
            self._failures.append({
                "method": method,
                "params": params,
                "chat_id": params.get("chat_id"),
                "status": status,
                "description": description,
                "time": time.monotonic(),
            })
            self._cond.notify_all()

    # ------------------------------------------------------------ Bot API methods

    async def _just_true(self, params: Params) -> bool:
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get("callback_query_id")
        with self._cond:
            # Like Telegram: each query is answered once; an unknown or answered one is a 400.
            if query_id not in self._open_queries:
                raise _ApiError(400, "Bad Request: query is too old and response timeout expired or "
                                     "query ID is invalid")
            self._open_queries.discard(query_id)
            self._answers.append({
                "callback_query_id": query_id,
                "text": params.get("text"),
                "show_alert": bool(params.get("show_alert")),
            })
            self._cond.notify_all()
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return dict(BOT_USER)

    async def _delete_webhook(self, params: Params) -> bool:
        if params.get("drop_pending_updates"):
            with self._cond:
                self._updates.clear()
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    async def _set_my_commands(self, params: Params) -> bool:
        with self._cond:
            self._commands[self._commands_key(params)] = list(params.get("commands") or [])
        return True

    async def _get_my_commands(self, params: Params) -> list[Any]:
        with self._cond:
            return list(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: Params) -> bool:
        with self._cond:
            self._commands.pop(self._commands_key(params), None)
        return True

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        with self._cond:
            if isinstance(offset, int) and offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif isinstance(offset, int) and offset < 0:
                self._updates = self._updates[offset:]  # "the last -offset updates"
            if isinstance(params.get("allowed_updates"), list):
                # Telegram remembers the setting; an empty list means "the default set".
                self._allowed_updates = params["allowed_updates"] or None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            wakeup = self._wakeup
            assert wakeup is not None
            with self._cond:
                if self._allowed_updates is not None:
                    # Telegram never stores updates of types the bot did not ask for.
                    allowed = self._allowed_updates
                    self._updates = [u for u in self._updates if _update_type(u) in allowed]
                batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing or self._mode is not None:
                return batch
            with self._cond:
                self._polling += 1
                self._cond.notify_all()
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                with self._cond:
                    self._polling -= 1
                    self._cond.notify_all()
            if self._closing or self._mode is not None:
                return []

    async def _send_message(self, params: Params) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        text = params.get("text")
        if not text:
            raise _ApiError(400, "Bad Request: message text is empty")
        _check_text(str(text), params.get("parse_mode"))
        with self._cond:
            self._check_not_blocked(chat_id)
            message = self._bot_message(chat_id, str(text), params.get("reply_markup"))
            self._sent.append({
                "chat_id": chat_id,
                "text": text,
                "parse_mode": params.get("parse_mode"),
                "reply_markup": params.get("reply_markup"),
                "disable_notification": params.get("disable_notification"),
                "link_preview_options": params.get("link_preview_options"),
                "disable_web_page_preview": params.get("disable_web_page_preview"),
                "message_id": message["message_id"],
                "time": time.monotonic(),
            })
            self._cond.notify_all()
            return dict(message)

    async def _edit_message_text(self, params: Params) -> dict[str, Any] | bool:
        return self._edit(params, text=params.get("text"))

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any] | bool:
        return self._edit(params, text=None)

    def _edit(self, params: Params, text: str | None) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True  # messages sent via inline mode are not tracked
        chat_id = self._chat_id(params)
        with self._cond:
            self._check_not_blocked(chat_id)
            message = self._messages.get((chat_id, params.get("message_id")))
            if message is None:
                raise _ApiError(400, "Bad Request: message to edit not found")
            new_text = message.get("text") if text is None else str(text)
            # Omitting reply_markup in an edit removes the keyboard, as in the real API.
            markup = params.get("reply_markup")
            if new_text == message.get("text") and markup == message.get("reply_markup"):
                raise _ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            message["text"] = new_text
            message["edit_date"] = int(time.time())
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            return dict(message)

    async def _get_chat_member(self, params: Params) -> dict[str, Any]:
        chat_id, user_id = self._chat_id(params), int(params["user_id"])
        with self._cond:
            admin = user_id in self._chat_admins.get(chat_id, set())
        return {"status": "administrator" if admin else "member", "user": self._user(user_id, "en"),
                **({"can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                    "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
                    "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
                    "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False}
                   if admin else {})}

    async def _send_chat_action(self, params: Params) -> bool:
        with self._cond:
            self._check_not_blocked(self._chat_id(params))
        return True

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _chat_id(params: Params) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_not_blocked(self, chat_id: int) -> None:
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")

    @staticmethod
    def _chat(chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        return {"id": chat_id, "type": "group", "title": "Test group"}

    @staticmethod
    def _user(chat_id: int, language_code: str) -> dict[str, Any]:
        return {
            "id": chat_id, "is_bot": False, "first_name": "Test", "language_code": language_code,
        }

    def _next_message_id(self, chat_id: int) -> int:
        # One counter per chat shared by both sides, as in real private chats.
        with self._cond:
            return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message(self, chat_id: int, text: str, language_code: str,
                      user_id: int | None = None) -> dict[str, Any]:
        return {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(user_id or chat_id, language_code),
            "text": text,
        }

    def _bot_message(self, chat_id: int, text: str, reply_markup: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": dict(BOT_USER),
            "text": text,
        }
        if reply_markup is not None:
            message["reply_markup"] = reply_markup
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _member_change(self, chat_id: int, old: str, new: str) -> dict[str, Any]:
        def member(status: str) -> dict[str, Any]:
            info: dict[str, Any] = {"status": status, "user": dict(BOT_USER)}
            if status == "kicked":
                info["until_date"] = 0  # banned forever
            return info

        return {
            "chat": self._chat(chat_id),
            "from": self._user(chat_id, "en"),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }

    def _queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            update = {"update_id": next(self._update_ids), kind: payload}
            self._updates.append(update)
            self._cond.notify_all()
        self._wake_loop()
        return update


def _check_text(text: str, parse_mode: str | None) -> None:
    """Refuse what the real API refuses: bad HTML, and over 4096 characters once parsed."""
    visible = text
    if parse_mode == "HTML":
        try:
            visible = visible_text(text)
        except HtmlError as exc:
            raise _ApiError(400, f"Bad Request: {exc}") from None
    if len(visible) > MAX_TEXT:
        raise _ApiError(400, "Bad Request: message is too long")


def _update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
