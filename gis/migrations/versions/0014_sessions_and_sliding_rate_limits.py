"""Server-side sessions (revocable on every worker) and sliding-window rate limits

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('id_hash', sa.Text(), nullable=False, comment="SHA-256 of the cookie's session id (the id itself is never stored)"),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('csrf_token', sa.Text(), nullable=False, comment='what every unsafe request on this session must carry'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('sessions_account_id_fkey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('sessions_pkey')),
    comment='Sessions of signed-in accounts (ended by sign-out, disabling, a role change)'
    )
    op.create_index('sessions_account_id_idx', 'sessions', ['account_id'], unique=False)
    # the fixed clock-minute counters give way to one row a hit (a sliding window)
    op.drop_table('rate_limits')
    op.create_table('rate_limit_hits',
    sa.Column('client', sa.Text(), nullable=False),
    sa.Column('bucket', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    comment='Hits of public POSTs per client, for sliding-window limits (unlogged: losing them is fine)',
    prefixes=['UNLOGGED']
    )
    op.create_index('rate_limit_hits_client_idx', 'rate_limit_hits', ['client', 'bucket', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('rate_limit_hits_client_idx', table_name='rate_limit_hits')
    op.drop_table('rate_limit_hits')
    op.create_table('rate_limits',
    sa.Column('jurisdiction_id', sa.Text(), nullable=True),
    sa.Column('client', sa.Text(), nullable=False),
    sa.Column('bucket', sa.Text(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('client', 'bucket', 'window_start', name=op.f('rate_limits_pkey')),
    comment='Fixed-window counters of public POSTs per client (unlogged: losing them is fine)',
    prefixes=['UNLOGGED']
    )
    op.drop_index('sessions_account_id_idx', table_name='sessions')
    op.drop_table('sessions')
