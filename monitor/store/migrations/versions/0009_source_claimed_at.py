"""when a source's claim was taken: its interval counts from the start of a check

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode on SQLite: rebuilding `sources` fails on the tables that reference it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE sources DROP COLUMN claimed_at")
    else:
        op.drop_column("sources", "claimed_at")
