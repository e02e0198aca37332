"""idempotency_keys: a report sent twice with one Idempotency-Key is filed once

A client that got no answer (a node died after storing the report, a phone lost its signal)
cannot tell whether its report was filed; sending it again filed a second one. With an
``Idempotency-Key`` header (IETF draft "The Idempotency-Key HTTP Header Field"), the first
request claims the key in the transaction that files the report and stores its answer there;
a repeat, from the client or from HAProxy resending it to another node, gets that answer back.
A repeat that arrives while the first is still running waits on the key's row and then reads
the answer, or, if the first rolled back (its node died), files the report itself.

The app inserts, reads and fills in rows, never deletes one: a key older than a day is claimed
afresh by the next request that brings it.

Revision ID: 0028_idempotency_keys
Revises: 0027_scan_rasters
Create Date: 2026-12-03 07:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0028_idempotency_keys'
down_revision = '0027_scan_rasters'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False,
                  comment="SHA-256 of who sent what where: a key reused for another request is refused"),
        sa.Column("status", sa.Integer(), nullable=True, comment="the first answer's HTTP status"),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True, comment="the first answer's body"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("idempotency_keys_pkey")),
        comment="Idempotency-Key of each report sent with one, and the answer it got",
    )
    op.execute("REVOKE ALL ON idempotency_keys FROM dimos_app")
    op.execute("GRANT SELECT, INSERT, UPDATE ON idempotency_keys TO dimos_app")


def downgrade() -> None:
    op.drop_table("idempotency_keys")
