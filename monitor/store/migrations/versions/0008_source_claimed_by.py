"""who holds a source's claim and since when: a restart takes back a killed process's claims,
and the interval counts from the start of a check

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("claimed_by", sa.String(length=200), nullable=True))
    op.add_column("sources", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode on SQLite: rebuilding `sources` fails on the tables that reference it.
    for column in ("claimed_at", "claimed_by"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE sources DROP COLUMN {column}")
        else:
            op.drop_column("sources", column)
