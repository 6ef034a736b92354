"""full-text search over stored articles (SQLite FTS5, PostgreSQL tsvector)

Revision ID: 0006
Revises: 0005
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the /search work (issue 6)


def downgrade() -> None:
    pass
