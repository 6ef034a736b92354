"""hit evidence: matches, snippet and its marks

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matches", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("snippet", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("snippet_marks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hits", schema=None) as batch_op:
        batch_op.drop_column("snippet_marks")
        batch_op.drop_column("snippet")
        batch_op.drop_column("matches")
