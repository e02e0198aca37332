"""Jobs belong to the municipality their starter acts in: staff see their municipalities' jobs

pygeoapi's job manager reads and writes the table on an engine of its own, outside a request
for an asynchronous run (its status changes), so the transaction cannot name the principal's
municipalities: the policies let the app role through and ogc/jobs.py confines what a principal
sees (gis/access_rules.sees_job, lists_job). Row-level security is enabled all the same, so
that the table is not the one with a jurisdiction_id and no policy.

Revision ID: 0017_job_municipality
Revises: 0016_row_level_security
Create Date: 2026-12-02 06:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017_job_municipality'
down_revision = '0016_row_level_security'
branch_labels = None
depends_on = None

POLICIES = ("read", "SELECT", "USING (true)"), ("insert", "INSERT", "WITH CHECK (true)"), \
    ("update", "UPDATE", "USING (true) WITH CHECK (true)"), ("delete", "DELETE", "USING (true)")


def upgrade() -> None:
    op.add_column('jobs', sa.Column(
        'jurisdiction_id', sa.Text(), sa.ForeignKey('jurisdictions.id'), nullable=True,
        comment="the municipality its starter acted in; none: anonymous, several or every one"))
    op.execute("ALTER TABLE jobs ENABLE ROW LEVEL SECURITY")
    for name, command, rule in POLICIES:
        op.execute(f"CREATE POLICY jobs_{name} ON jobs FOR {command} {rule}")


def downgrade() -> None:
    for name, _, _ in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS jobs_{name} ON jobs")
    op.execute("ALTER TABLE jobs DISABLE ROW LEVEL SECURITY")
    op.drop_column('jobs', 'jurisdiction_id')
