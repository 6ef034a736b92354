"""Secrets never reach the logs, whatever carries them."""

from __future__ import annotations

import logging

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
