"""Secrets never reach the logs, whatever carries them."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest

from monitor.logs import RedactSecrets, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


def render(record: logging.LogRecord) -> str:
    RedactSecrets([TOKEN]).filter(record)
    return logging.Formatter("%(message)s").format(record)


def record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("x", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_token_is_redacted_in_messages_arguments_and_tracebacks():
    assert TOKEN not in render(record("POST https://api.telegram.org/bot%s/getMe", TOKEN))
    try:
        raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError as exc:
        text = render(record("send failed", exc=exc))
    assert TOKEN not in text and "<redacted>" in text


def test_anything_shaped_like_a_token_is_redacted_even_if_not_ours():
    other = "987654321:ZZZdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    assert render(record("url /bot%s/getUpdates", other)) == "url /bot<redacted>/getUpdates"


def test_ordinary_messages_are_untouched():
    assert render(record("source=%s url=%s items=%d", "vlast", "https://vlast.kz/feed/", 3)) == (
        "source=vlast url=https://vlast.kz/feed/ items=3"
    )


def test_a_429_is_one_warning_from_the_sender_not_a_traceback_from_the_rate_limiter(capsys):
    """The sender logs the pause itself; PTB's limiter would add an ERROR with a traceback."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO")
        try:
            raise RuntimeError("Flood control exceeded")
        except RuntimeError:
            logging.getLogger("telegram.ext.AIORateLimiter").exception("Rate limit hit after maximum of 0 retries")
        logging.getLogger("bot.telegram_sender").warning("Telegram asked to slow down")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "slow down" in err
    assert "Rate limit hit" not in err and "Traceback" not in err


# ---- JSON lines (`dozor run --log-format json`) ----


class logging_as:
    """setup_logging for one test, then the root logger put back as it was."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args, self.kwargs = args, kwargs

    def __enter__(self) -> None:
        root = logging.getLogger()
        self.saved = root.handlers[:], root.level
        setup_logging(*self.args, **self.kwargs)

    def __exit__(self, *_exc: object) -> None:
        root = logging.getLogger()
        root.handlers[:] = self.saved[0]
        root.setLevel(self.saved[1])


def json_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines()]


def test_json_lines_carry_time_level_logger_message_and_extra_fields(capsys):
    with logging_as("INFO", fmt="json"):
        logging.getLogger("monitor.runtime").info("source %s: %d new items", "vlast", 3,
                                                  extra={"source_id": "vlast", "new_items": 3})
        logging.getLogger("monitor.match").warning("Ақтау: нет совпадений", extra={"topic_id": "mangystau"})
    first, second = json_lines(capsys.readouterr().err)
    assert list(first)[:4] == ["time", "level", "logger", "message"]
    assert {k: v for k, v in first.items() if k != "time"} == {
        "level": "INFO", "logger": "monitor.runtime", "message": "source vlast: 3 new items",
        "source_id": "vlast", "new_items": 3}
    when = datetime.fromisoformat(first["time"])
    assert when.utcoffset() == timedelta(0) and abs(datetime.now(timezone.utc) - when) < timedelta(minutes=1)
    # Non-Latin text stays readable rather than \u-escaped.
    assert second["message"] == "Ақтау: нет совпадений" and second["topic_id"] == "mangystau"


def test_the_token_is_redacted_in_json_lines_message_extra_fields_and_traceback(capsys):
    with logging_as("INFO", secrets=[TOKEN], fmt="json"):
        log = logging.getLogger("bot.telegram_sender")
        log.info("POST https://api.telegram.org/bot%s/getMe", TOKEN, extra={"url": f"/bot{TOKEN}/sendMessage"})
        try:
            raise RuntimeError(f"failed https://api.telegram.org/bot{TOKEN}/sendMessage")
        except RuntimeError:
            log.exception("send failed")
    err = capsys.readouterr().err
    assert TOKEN not in err
    first, second = json_lines(err)
    assert first["message"] == "POST https://api.telegram.org/bot<redacted>/getMe"
    assert first["url"] == "/bot<redacted>/sendMessage"
    assert second["message"] == "send failed"
    assert "Traceback" in second["exception"] and "bot<redacted>/sendMessage" in second["exception"]


def test_text_stays_the_default_and_an_unknown_format_is_refused(capsys):
    with logging_as("INFO"):
        logging.getLogger("monitor.cli").info("hello", extra={"source_id": "vlast"})
    line = capsys.readouterr().err.strip()
    assert line.endswith(" INFO monitor.cli: hello") and not line.startswith("{")
    with pytest.raises(ValueError):
        setup_logging("INFO", fmt="xml")
