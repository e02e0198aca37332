"""shared_secrets: the installation's secrets, made once in the database that every node shares

A node's disk is not shared: the key that signs session cookies was in ``state_dir/secret_key``,
so a cookie made on one node was refused by another. The first worker of any node to start
inserts a key (ON CONFLICT DO NOTHING) and every worker reads the one row that won. The app may
insert and read, never change nor delete a secret (that would sign everyone out at random).

jobs.output: an asynchronous job's result, written with its status "successful" in one update,
so any node answers /jobs/{id}/results (it was a file in the running node's ``state_dir/jobs``).

Revision ID: 0025_shared_state
Revises: 0021_feature_changes
Create Date: 2026-12-02 20:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025_shared_state'
down_revision = '0021_feature_changes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_secrets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("length(value) >= 32", name=op.f("shared_secrets_value_long")),
        sa.PrimaryKeyConstraint("name", name=op.f("shared_secrets_pkey")),
        comment="Secrets every node reads (the session-signing key), each made once",
    )
    op.execute("REVOKE ALL ON shared_secrets FROM dimos_app")
    op.execute("GRANT SELECT, INSERT ON shared_secrets TO dimos_app")
    op.add_column("jobs", sa.Column("output", sa.LargeBinary(), nullable=True,
                                    comment="the result of a successful job, as pygeoapi wrote it"))


def downgrade() -> None:
    op.drop_column("jobs", "output")
    op.drop_table("shared_secrets")
