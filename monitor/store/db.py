"""Open the database: engine, sessions, and migrations applied at start.

SQLite (the default) runs in WAL mode with a busy timeout and IMMEDIATE write transactions, so
readers never block the writer and two writers queue instead of failing with "database is locked".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreError(RuntimeError):
    """The database cannot be opened or written; the message says which and what to do."""


# What the database says when retrying cannot help: the file or disk is read-only or full, or
# the file is gone. (SQLite's messages, then PostgreSQL's.) Anything else — locked, a dropped
# connection, a server restarting — is worth the next tick.
_UNRECOVERABLE = (
    "readonly database", "read-only file system", "disk is full", "disk i/o error",
    "unable to open database file", "no space left on device", "could not extend file",
    "read-only transaction", "database disk image is malformed",
)


def is_unrecoverable(exc: BaseException) -> bool:
    """True when the database cannot take writes and waiting will not change that."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return isinstance(exc, (DatabaseError, StoreError, OSError)) and any(
        phrase in text for phrase in _UNRECOVERABLE)


def unrecoverable_message(url: str, exc: BaseException) -> str:
    """One line an operator can act on."""
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return (f"the database {url} cannot be written ({reason}); free disk space or fix the "
            "file's permissions (the folder too: SQLite writes -wal and -shm files beside it), "
            "then start again")


class Store:
    """The engine plus a session factory; `with store.session() as s:` commits or rolls back."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = open_engine(url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def safe_url(self) -> str:
        """The URL without its password, for logs and errors."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def upgrade(self) -> None:
        """Apply every pending Alembic migration."""
        upgrade(self.engine)

    def is_current(self) -> bool:
        """Whether every migration is applied (read-only: nothing is created or changed)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        heads = set(ScriptDirectory.from_config(cfg).get_heads())
        with self.engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads()) == heads

    def close(self) -> None:
        self.engine.dispose()


def open_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder {folder}: {exc}") from None
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: no deadlock when two readers both try to upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
