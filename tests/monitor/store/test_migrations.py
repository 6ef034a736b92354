"""Every migration can be undone and redone on both databases, with data in the tables they
touch (an operator rolling back a release must not lose the database)."""

from __future__ import annotations

from datetime import datetime

from monitor.config import Config
from monitor.store.db import Store
from monitor.store.sources import sync_sources
from monitor.store.subscribers import subscribe, topics_of
from tests.support.migrations import migrate


def test_undoing_the_migrations_since_0004_and_redoing_them_keeps_sources_and_subscribers(store: Store, now: datetime):
    config = Config.model_validate({"sources": [{"id": "vlast", "feed": "https://vlast.kz/rss"}]})
    with store.session() as session:
        sync_sources(session, config.sources, now)
        subscribe(session, 42, "strikes")

    migrate(store, "0004", down=True)
    migrate(store, "head")

    with store.session() as session:
        assert topics_of(session, 42) == ["strikes"]
        sync_sources(session, config.sources, now)  # the re-added columns are usable
