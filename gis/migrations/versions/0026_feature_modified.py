"""modified_at on every editable layer's features: the timestamp variant of optimistic locking

OGC API Features Part 4 (draft) lets a client send back a feature's ``Last-Modified`` as
``If-Unmodified-Since``. HTTP dates count whole seconds, so a trigger keeps ``modified_at`` in
whole seconds and moves it at least one second forward on every change: two changes within one
second still carry two different times, and a client holding the first is refused (412) after
the second. A write that stores the same row is no change and keeps the time.

The column's default is evaluated once for the rows already there (a constant default: no
table rewrite), so existing features date from the migration.

Revision ID: 0026_feature_modified
Revises: 0025_shared_state
Create Date: 2026-12-02 19:10:00
"""
from alembic import op

revision = '0026_feature_modified'
down_revision = '0025_shared_state'
branch_labels = None
depends_on = None

# the tables of the catalogue's editable layers at this revision
EDITABLE_TABLES = ("zoning", "building_permits", "settlements", "service_requests",
                   "parking_bays", "wifi_access_points")

NOTE_MODIFIED = """
CREATE FUNCTION dimos_note_modified() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.modified_at := OLD.modified_at;  -- only this trigger sets it
        IF NEW IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
        NEW.modified_at := greatest(date_trunc('second', clock_timestamp()),
                                    OLD.modified_at + interval '1 second');
    ELSE
        NEW.modified_at := date_trunc('second', clock_timestamp());
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.execute(NOTE_MODIFIED)
    for table in EDITABLE_TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN modified_at timestamp with time zone "
                   f"NOT NULL DEFAULT date_trunc('second', now())")
        op.execute(f"COMMENT ON COLUMN {table}.modified_at IS 'when the feature last changed, "
                   f"in whole seconds (Last-Modified, If-Unmodified-Since)'")
        op.execute(f"CREATE TRIGGER {table}_modified BEFORE INSERT OR UPDATE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION dimos_note_modified()")


def downgrade() -> None:
    for table in EDITABLE_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_modified ON {table}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN modified_at")
    op.execute("DROP FUNCTION IF EXISTS dimos_note_modified()")
