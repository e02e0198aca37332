"""Audit log (row triggers on every table of the municipality's data) and rate limits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:28:06.651443
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# the tables audited at this revision: the layers, personal data, workflow, services, tokens
AUDITED = (
    "zoning", "plans", "building_permits", "settlements", "service_requests", "parking_bays",
    "parking_lots", "wifi_access_points", "roads", "districts", "refuge_areas", "bus_stops",
    "traffic_cameras", "buildings", "service_requests_private", "service_request_updates",
    "service_request_media", "services", "service_routing", "api_tokens",
)

AUDIT_FUNCTION = """
CREATE FUNCTION dimos_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) - 'data' END;
    new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) - 'data' END;
    changed jsonb := coalesce(new_row, old_row);
BEGIN
    -- bulk loads (the demo, imports with their own provenance) say so for their transaction
    IF current_setting('dimos.audit', true) = 'off' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (jurisdiction_id, actor, table_name, operation, row_id, before, after)
    VALUES (changed ->> 'jurisdiction_id',
            coalesce(nullif(current_setting('dimos.actor', true), ''), 'database:' || session_user),
            TG_TABLE_NAME, TG_OP,
            coalesce(changed ->> 'id', changed ->> 'feature_id')::bigint, old_row, new_row);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('jurisdiction_id', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('table_name', sa.Text(), nullable=False),
    sa.Column('operation', sa.Text(), nullable=False),
    sa.Column('row_id', sa.BigInteger(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('audit_log_pkey')),
    comment='Audit trail of writes (staff only: it holds personal data of private tables)'
    )
    op.create_index('audit_log_table_row_idx', 'audit_log', ['table_name', 'row_id'], unique=False)
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
    op.execute(AUDIT_FUNCTION)
    for table in AUDITED:
        op.execute(f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION dimos_audit()")


def downgrade() -> None:
    for table in AUDITED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_audit ON {table}")
    op.execute("DROP FUNCTION IF EXISTS dimos_audit()")
    op.drop_table('rate_limits')
    op.drop_index('audit_log_table_row_idx', table_name='audit_log')
    op.drop_table('audit_log')
