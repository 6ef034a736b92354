"""deliveries in flight and possible repeats; the other sources that brought an article

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("repeats", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "article_sources",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_article_sources_article_id_articles"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "source_id", name=op.f("pk_article_sources")),
    )


def downgrade() -> None:
    op.drop_table("article_sources")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("repeats")
        batch_op.drop_column("sending_at")
