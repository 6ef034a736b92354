"""Alerts printed to the console: what `dozor run` does when no bot token is set."""

from __future__ import annotations

import logging
from typing import TextIO

from monitor.ingest import PollReport

log = logging.getLogger(__name__)


class ConsoleAlerts:
    """An AlertSender that prints each new hit as it is stored and sends nothing."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def start(self) -> None:
        log.warning(
            "DOZOR_TELEGRAM_TOKEN is not set: crawling and storing as usual, "
            "printing alerts to the console instead of sending them to Telegram"
        )

    def print_report(self, report: PollReport) -> None:
        for hit in report.hits:
            terms = ", ".join(hit.terms)
            print(f"ALERT [{hit.topic_id}] {hit.title} | {hit.source_id} | {hit.url} | {terms}",
                  file=self.out, flush=True)

    async def deliver_pending(self) -> int:
        # Owed alerts stay in the outbox until a run with a token sends them.
        return 0

    async def stop(self) -> None:
        return None
