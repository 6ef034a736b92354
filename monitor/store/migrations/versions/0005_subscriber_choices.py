"""subscriber choices: digests, quiet hours, mute

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=10), nullable=False, server_default="off"))
        batch_op.add_column(sa.Column("digest_at", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("quiet_from", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("quiet_until", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode: rebuilding `subscribers` would fail on the tables that reference it.
    for column in ("last_digest_at", "muted_until", "quiet_until", "quiet_from", "digest_at", "digest"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE subscribers DROP COLUMN {column}")
        else:
            op.drop_column("subscribers", column)
