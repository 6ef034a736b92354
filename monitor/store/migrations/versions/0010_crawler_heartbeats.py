"""crawler heartbeats: claims of a worker that stopped beating are taken back by the others

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawlers",
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("holder", name=op.f("pk_crawlers")),
    )


def downgrade() -> None:
    op.drop_table("crawlers")
