"""Logging set-up: one line per event, as text or as JSON, and the bot token redacted wherever
it appears (message, arguments, `extra` fields, traceback).

    setup_logging("INFO", secrets=[token])              2026-11-27 12:00:00,000 INFO monitor.runtime: …
    setup_logging("INFO", secrets=[token], fmt="json")  {"time": "2026-11-27T12:00:00.000+00:00",
                                                         "level": "INFO", "logger": "monitor.runtime",
                                                         "message": "…", "source_id": "vlast"}
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# A Telegram token is `<bot id>:<35 url-safe chars>`; it shows up inside Bot API URLs.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# What every LogRecord has; anything else on a record came from `extra=` (Python 3.12 adds taskName).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class LogFormat(str, Enum):
    """How log lines are written: `text` for people, `json` for log shippers."""

    TEXT = "text"
    JSON = "json"


class RedactSecrets(logging.Filter):
    """Replace the bot token (and anything shaped like one) in every record."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self._secrets = [s for s in (secrets or []) if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return _TOKEN.sub("<redacted>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        if clean != message:
            record.msg, record.args = clean, None
        for key, value in list(vars(record).items()):  # `extra` fields, which JSON lines show
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


class JsonLines(JsonFormatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then any `extra`
    fields, and `exception` with the traceback when there is one."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
            reserved_attrs=[*RESERVED_ATTRS, "taskName"],
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_text:
            # RedactSecrets cleaned exc_text; the base class would format exc_info afresh, token and all.
            saved, record.exc_info = record.exc_info, None
            try:
                return super().format(record)
            finally:
                record.exc_info = saved
        return super().format(record)


def setup_logging(level: str = "INFO", secrets: list[str] | None = None, fmt: str = LogFormat.TEXT) -> None:
    """Log to stderr at `level`, as text or JSON lines (`fmt`), with `secrets` redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(LogFormat(fmt)))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every Bot API URL, and those URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # python-telegram-bot's DEBUG lines carry whole updates: what people wrote and their names.
    logging.getLogger("telegram").setLevel(max(logging.INFO, root.level))
    # With max_retries=0 the limiter logs every 429 as an ERROR with a traceback; the sender
    # handles the 429 (pauses, keeps the alert) and logs one WARNING line for it.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    for noisy in ("scrapy", "twisted", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # trafilatura and htmldate warn about every page they cannot use; our own line says it once.
    for chatty in ("trafilatura", "htmldate", "courlan", "justext", "readability"):
        logging.getLogger(chatty).setLevel(max(logging.ERROR, root.level))
    # A tick skipped because the last one still runs (a long fan-out) is by design: not a warning.
    logging.getLogger("apscheduler.scheduler").setLevel(max(logging.ERROR, root.level))
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))


def _formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt is LogFormat.JSON:
        return JsonLines()
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
