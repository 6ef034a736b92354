"""who holds a source's claim, so a restart can take back a killed process's claims

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


def downgrade() -> None:
    # Not batch mode on SQLite: rebuilding `sources` fails on the tables that reference it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE sources DROP COLUMN claimed_by")
    else:
        op.drop_column("sources", "claimed_by")
