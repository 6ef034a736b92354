"""crawled sources: selector rot (a listing or page that stopped yielding)

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the spiders work (issue 7)


def downgrade() -> None:
    pass
