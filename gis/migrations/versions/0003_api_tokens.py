"""api_tokens: hashed API tokens and the role each grants

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, comment="who or what holds the token"),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("token_sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('citizen', 'staff', 'planner', 'crew', 'admin')",
                           name="api_tokens_role_choice"),
        sa.PrimaryKeyConstraint("id", name="api_tokens_pkey"),
        sa.UniqueConstraint("token_sha256", name="api_tokens_token_sha256_key"),
        comment="API tokens (hashed) and the role each grants",
    )
    op.create_index("api_tokens_live_name_idx", "api_tokens", ["name"], unique=True,
                    postgresql_where=sa.text("revoked_at IS NULL"))


def downgrade() -> None:
    op.drop_index("api_tokens_live_name_idx", table_name="api_tokens")
    op.drop_table("api_tokens")
