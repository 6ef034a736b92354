"""Move a test database to a given Alembic revision (up or down), as `dozor db upgrade` would."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from monitor.store.db import MIGRATIONS, Store


def migrate(store: Store, revision: str, down: bool = False) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)
