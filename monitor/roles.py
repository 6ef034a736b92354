"""What one `dozor run` process does (`--role`); see monitor/service.py and docs/deploy.md."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ALL = "all"  # crawling, matching and Telegram in one process (the default)
    WORKER = "worker"  # crawling and matching; alerts go to the outbox for the bot process
    BOT = "bot"  # Telegram only: commands and the outbox; one per bot token

    @property
    def crawls(self) -> bool:
        return self is not Role.BOT

    @property
    def sends(self) -> bool:
        return self is not Role.WORKER
