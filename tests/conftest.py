"""Shared fixtures: a migrated store on SQLite and, when DOZOR_TEST_POSTGRES_URL is set, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.store.db import Store

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get("DOZOR_TEST_POSTGRES_URL")
NO_POSTGRES = "DOZOR_TEST_POSTGRES_URL is not set (.ci/run sets it); PostgreSQL store tests skipped"


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A freshly migrated store; on PostgreSQL each test gets a schema of its own."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'dozor.db'}")
        store.upgrade()
        yield store
        store.close()
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    with postgres_schema(POSTGRES_URL) as url:
        store = Store(url)
        store.upgrade()
        yield store
        store.close()


class postgres_schema:
    """A throw-away schema, made the default search_path of the URL it yields."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.schema = f"dozor_test_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT")

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        url = make_url(self.base_url).update_query_dict({"options": f"-csearch_path={self.schema}"})
        return url.render_as_string(hide_password=False)

    def __exit__(self, *_exc: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.admin.dispose()
