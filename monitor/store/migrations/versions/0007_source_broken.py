"""crawled sources: selector rot (a listing or page that stopped yielding)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_yield_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("empty_polls", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("broken_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("broken_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite's batch mode would rebuild `sources`, which articles reference: with foreign keys on,
    # dropping the old table fails. SQLite 3.35+ drops a column in place.
    for column in ['broken_reason', 'broken_since', 'empty_polls', 'last_yield_at']:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE sources DROP COLUMN {column}")
        else:
            op.drop_column("sources", column)
