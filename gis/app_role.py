"""The database role the web app and the sensor ingest connect as: subject to the row-level
security policies of migration 0016 (the owner, who migrates and loads, is not)."""
from __future__ import annotations

from psycopg2 import sql

from gis.errors import SetupError

#: LOGIN, NOSUPERUSER, NOBYPASSRLS; made by migration 0016 (roles are cluster-wide)
APP_ROLE = "dimos_app"
#: the transaction-local setting the policies read: municipality ids joined by commas, ``*`` for
#: every municipality, empty or unset for none
MUNICIPALITIES_SETTING = "dimos.municipalities"
#: the signed-in person whose own reports (service_requests_private.reporter_account) a
#: transaction may read whatever its municipalities
ACCOUNT_SETTING = "dimos.account"
#: who the transaction acts for as a job's owner (gis/access_rules.principal_id), and ``on``
#: when that principal is staff: the jobs policies (migration 0018) read both
PRINCIPAL_SETTING = "dimos.principal"
STAFF_SETTING = "dimos.staff"
#: tables whose rows only their municipality's principals read (the others: everyone)
PRIVATE_TABLES = ("service_requests_private", "parking_sessions", "imports",
                  "notification_outbox", "audit_log")

CREATE_ROLE_SQL = """
DO $$ BEGIN
    CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- a migration or restore of another database of the cluster made it meanwhile
END $$
"""


def ensure_app_role(cur) -> None:
    """Create the app's role unless the cluster has it; SetupError saying what the server's
    administrator must run when the connected role may not create roles (a managed server)."""
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,))
    if cur.fetchone():
        return
    cur.execute("SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles "
                "WHERE rolname = current_user")
    user, may = cur.fetchone()
    if not may:
        raise SetupError(
            f"the database role {APP_ROLE!r} the web app connects as does not exist, and {user!r} "
            f"may not create roles: have the server's administrator run \"CREATE ROLE {APP_ROLE} "
            f"LOGIN PASSWORD '…' NOSUPERUSER NOBYPASSRLS\", then try again (and put the password "
            f"in DIMOS_APP_DATABASE_URL)")
    cur.execute(sql.SQL(CREATE_ROLE_SQL).format(role=sql.Identifier(APP_ROLE)))
