"""Jobs under real row-level security policies: a job is its owner's, and its municipality's
staff's, as gis/access_rules.sees_job says

Migration 0017 left the policies open, since pygeoapi's manager writes a run's status changes
outside any request. ogc/jobs.py now names, for every transaction of the manager's engine, the
principal a request or a background run acts for (``dimos.principal``, ``dimos.staff``,
``dimos.municipalities``), so PostgreSQL refuses another municipality's jobs itself: a Chania
transaction neither sees Rethymno's jobs nor dismisses them. An anonymous job (no owner) is
anyone's who holds its id, as the Python rule says.

Revision ID: 0018_job_policies
Revises: 0017_job_municipality
Create Date: 2026-12-02 11:30:00
"""
from alembic import op

from gis.app_role import PRINCIPAL_SETTING, STAFF_SETTING

revision = '0018_job_policies'
down_revision = '0017_job_municipality'
branch_labels = None
depends_on = None

OWNER = f"nullif(current_setting('{PRINCIPAL_SETTING}', true), '')"
SEES = (f"(owner IS NULL OR owner = {OWNER} OR (current_setting('{STAFF_SETTING}', true) = 'on' "
        f"AND dimos_acts_in(jurisdiction_id)))")
# a job is started for the transaction's own principal, in a municipality it acts in
STARTS = (f"(owner IS NOT DISTINCT FROM {OWNER} "
          f"AND (jurisdiction_id IS NULL OR dimos_acts_in(jurisdiction_id)))")
POLICIES = {"read": ("SELECT", f"USING {SEES}"), "insert": ("INSERT", f"WITH CHECK {STARTS}"),
            "update": ("UPDATE", f"USING {SEES} WITH CHECK {SEES}"),
            "delete": ("DELETE", f"USING {SEES}")}
OPEN = {"read": ("SELECT", "USING (true)"), "insert": ("INSERT", "WITH CHECK (true)"),
        "update": ("UPDATE", "USING (true) WITH CHECK (true)"), "delete": ("DELETE", "USING (true)")}


def _replace(policies: dict) -> None:
    for name, (command, rule) in policies.items():
        op.execute(f"DROP POLICY IF EXISTS jobs_{name} ON jobs")
        op.execute(f"CREATE POLICY jobs_{name} ON jobs FOR {command} {rule}")


def upgrade() -> None:
    _replace(POLICIES)


def downgrade() -> None:
    _replace(OPEN)
