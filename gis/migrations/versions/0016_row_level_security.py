"""Row-level security: the web app and the ingest connect as dimos_app, confined by policies to
the municipalities each transaction names (``dimos.municipalities``)

A bug in a Python rule then cannot cross municipalities: PostgreSQL itself refuses another
municipality's rows to a write, and hides its private tables' rows from a read. Policies are
ENABLEd, not FORCEd: the owner (migrations, the demo loader, the CLI, backups) is not subject to
them. Public tables are read by everyone; every table with a ``jurisdiction_id`` is written
only where the transaction acts (``dimos_acts_in``).

The role is cluster-wide: made here if missing (another database may have made it first), and
left in place on the way down (other databases of the cluster may use it).

Revision ID: 0016_row_level_security
Revises: 0015
Create Date: 2026-12-02 05:00:00
"""
from alembic import op
from psycopg2 import sql

from gis.app_role import (
    ACCOUNT_SETTING,
    APP_ROLE,
    MUNICIPALITIES_SETTING,
    PRIVATE_TABLES,
    ensure_app_role,
)

revision = '0016_row_level_security'
down_revision = '0015'
branch_labels = None
depends_on = None

# ours, not an extension's (spatial_ref_sys is PostGIS's: PUBLIC reads it already)
OUR_TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY c.relname
"""
WITH_JURISDICTION_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'jurisdiction_id' AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname
"""
#: what the app may do to each table (the rest: read and write): migrations' bookkeeping and the
#: municipalities are read only; the audit trail is appended to (by triggers running as the
#: owner, and by an import's one summary row), never changed
GRANTS = {"alembic_version": "SELECT", "jurisdictions": "SELECT", "audit_log": "SELECT, INSERT"}
DEFAULT_GRANT = "SELECT, INSERT, UPDATE, DELETE"

ACTS_IN = f"""
CREATE OR REPLACE FUNCTION dimos_acts_in(jurisdiction text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE coalesce(current_setting('{MUNICIPALITIES_SETTING}', true), '')
        WHEN '*' THEN true
        WHEN '' THEN false
        ELSE jurisdiction = ANY (string_to_array(current_setting('{MUNICIPALITIES_SETTING}', true), ','))
    END
$$
"""
# a reading of a new month makes its partition; the app may not create tables, so the owner's
# function does it (the name and bounds computed here, never taken from the caller)
READINGS_PARTITION = """
CREATE OR REPLACE FUNCTION dimos_readings_partition(month timestamptz) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    first timestamp := date_trunc('month', month AT TIME ZONE 'UTC');
BEGIN
    -- two writers creating the same month would collide: one at a time
    PERFORM pg_advisory_xact_lock(hashtext('sensor_readings partitions'));
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF sensor_readings '
                   'FOR VALUES FROM (%L) TO (%L)',
                   'sensor_readings_' || to_char(first, 'YYYYMM'),
                   first AT TIME ZONE 'UTC', (first + interval '1 month') AT TIME ZONE 'UTC');
END
$$
"""


def _ident(name: str) -> str:
    return sql.Identifier(name).as_string(op.get_bind().connection.dbapi_connection)


def _ensure_role() -> None:
    with op.get_bind().connection.dbapi_connection.cursor() as cur:
        ensure_app_role(cur)  # or SetupError: what the server's administrator must run


def _grant() -> None:
    role = _ident(APP_ROLE)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    for (table,) in op.get_bind().exec_driver_sql(OUR_TABLES_SQL).all():
        op.execute(f"GRANT {GRANTS.get(table, DEFAULT_GRANT)} ON {_ident(table)} TO {role}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    # tables the owner makes later (monthly partitions, new layers) are the app's to use too
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {DEFAULT_GRANT} ON TABLES TO {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}")
    # functions: PUBLIC may execute them already (granting PostGIS's thousand to the role would
    # put a GRANT per function into every backup)


def _policies(table: str) -> list[str]:
    t = _ident(table)
    acts = "dimos_acts_in(jurisdiction_id)"
    read = acts if table in PRIVATE_TABLES else "true"
    if table == "service_requests_private":
        # a signed-in citizen reads their own reports (GET /api/my/requests), wherever filed
        read += (f" OR reporter_account = nullif(current_setting('{ACCOUNT_SETTING}', true), '')")
    made = [f"CREATE POLICY {_ident(table + '_read')} ON {t} FOR SELECT USING ({read})",
            f"CREATE POLICY {_ident(table + '_insert')} ON {t} FOR INSERT WITH CHECK ({acts})"]
    if table != "audit_log":
        made += [f"CREATE POLICY {_ident(table + '_update')} ON {t} FOR UPDATE "
                 f"USING ({acts}) WITH CHECK ({acts})",
                 f"CREATE POLICY {_ident(table + '_delete')} ON {t} FOR DELETE USING ({acts})"]
    return made


def upgrade() -> None:
    _ensure_role()
    op.execute(ACTS_IN)
    op.execute(READINGS_PARTITION)
    op.execute("REVOKE EXECUTE ON FUNCTION dimos_readings_partition(timestamptz) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION dimos_readings_partition(timestamptz) "
               f"TO {_ident(APP_ROLE)}")
    # the audit trail of a row change is written as the owner: it records rows with no
    # municipality (accounts, sessions) too, and the app itself may not rewrite it. A later
    # CREATE OR REPLACE of dimos_audit must say SECURITY DEFINER again
    op.execute("ALTER FUNCTION dimos_audit() SECURITY DEFINER SET search_path = public, pg_temp")
    _grant()
    for (table,) in op.get_bind().exec_driver_sql(WITH_JURISDICTION_SQL).all():
        op.execute(f"ALTER TABLE {_ident(table)} ENABLE ROW LEVEL SECURITY")
        for statement in _policies(table):
            op.execute(statement)


def downgrade() -> None:
    role = _ident(APP_ROLE)
    for (table,) in op.get_bind().exec_driver_sql(WITH_JURISDICTION_SQL).all():
        for suffix in ("read", "insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS {_ident(f'{table}_{suffix}')} ON {_ident(table)}")
        op.execute(f"ALTER TABLE {_ident(table)} DISABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {role}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {role}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {role}")
    op.execute("ALTER FUNCTION dimos_audit() SECURITY INVOKER RESET search_path")
    op.execute("DROP FUNCTION IF EXISTS dimos_readings_partition(timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS dimos_acts_in(text)")
    # the role stays: roles are the cluster's, and other databases may use it
