"""Slack claims: keys a bot worker takes once (an approval click, an event delivery)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_claims",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("by", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_slack_claims_at", "slack_claims", ["at"])


def downgrade() -> None:
    op.drop_index("ix_slack_claims_at", table_name="slack_claims")
    op.drop_table("slack_claims")
