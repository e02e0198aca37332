"""Accounts and tokens belong to municipalities (memberships)

What there was carries over: an account's municipality, a token's (gateways'); an account or
token that named none belonged to every municipality the database holds, and still does, but
an admin's, which stays installation-wide (no membership) — and a gateway token that named none
stays refused (no membership either).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('memberships',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=True),
    sa.Column('token_id', sa.BigInteger(), nullable=True),
    sa.Column('jurisdiction_id', sa.Text(), nullable=False),
    sa.CheckConstraint('num_nonnulls(account_id, token_id) = 1', name='memberships_one_principal'),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdictions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'jurisdiction_id', name='memberships_account_key'),
    sa.UniqueConstraint('token_id', 'jurisdiction_id', name='memberships_token_key'),
    comment='The municipalities each account and token belongs to (its role holds there only)'
    )
    op.execute("""
        INSERT INTO memberships (account_id, jurisdiction_id)
        SELECT a.id, coalesce(a.jurisdiction_id, j.id) FROM accounts a
        JOIN jurisdictions j ON j.id = coalesce(a.jurisdiction_id, j.id)
        WHERE a.jurisdiction_id IS NOT NULL OR a.role <> 'admin'
        ON CONFLICT DO NOTHING""")
    op.execute("""
        INSERT INTO memberships (token_id, jurisdiction_id)
        SELECT t.id, coalesce(t.jurisdiction_id, j.id) FROM api_tokens t
        JOIN jurisdictions j ON j.id = coalesce(t.jurisdiction_id, j.id)
        WHERE t.jurisdiction_id IS NOT NULL OR t.role NOT IN ('admin', 'gateway')
        ON CONFLICT DO NOTHING""")
    op.drop_constraint(op.f('api_tokens_jurisdiction_id_fkey'), 'api_tokens', type_='foreignkey')
    op.drop_column('api_tokens', 'jurisdiction_id')
    op.drop_constraint(op.f('accounts_jurisdiction_id_fkey'), 'accounts', type_='foreignkey')
    op.drop_column('accounts', 'jurisdiction_id')


def downgrade() -> None:
    op.add_column('accounts', sa.Column('jurisdiction_id', sa.Text(), nullable=True, comment='the municipality the person works for (none: every one)'))
    op.create_foreign_key(op.f('accounts_jurisdiction_id_fkey'), 'accounts', 'jurisdictions', ['jurisdiction_id'], ['id'])
    op.add_column('api_tokens', sa.Column('jurisdiction_id', sa.Text(), nullable=True, comment="the municipality a gateway's token writes for (accounts/tokens.py)"))
    op.create_foreign_key(op.f('api_tokens_jurisdiction_id_fkey'), 'api_tokens', 'jurisdictions', ['jurisdiction_id'], ['id'], ondelete='CASCADE')
    # one municipality each survives the way back: the first by id
    op.execute("""UPDATE accounts a SET jurisdiction_id = (SELECT min(jurisdiction_id)
                  FROM memberships m WHERE m.account_id = a.id)""")
    op.execute("""UPDATE api_tokens t SET jurisdiction_id = (SELECT min(jurisdiction_id)
                  FROM memberships m WHERE m.token_id = t.id)""")
    op.drop_table('memberships')
