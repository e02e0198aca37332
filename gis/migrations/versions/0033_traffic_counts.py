"""Traffic counts: the cameras become sensors of the live pipeline

A camera's reading is the vehicles of an interval per approach and lane: their sum in the
readings' ``value``, the interval and the lanes in a new ``detail`` (JSONB, on the readings and
on the sensor's current state); the hourly aggregates gain ``value_sum`` (vehicles in the hour);
``traffic_cameras`` gains the flow now, the usual flow of the hour and weekday, and its level.
The cameras already stored are registered as sensors.

Revision ID: 0033_traffic_counts
Revises: 0032_parking_signs
Create Date: 2026-12-04 15:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0033_traffic_counts'
down_revision = '0032_parking_signs'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("bay", "lot", "ap")
KINDS = KINDS_BEFORE + ("camera",)
FLOW_LEVELS = ("below_usual", "as_usual", "above_usual", "unknown")


def _kinds(kinds) -> None:
    op.drop_constraint("sensors_kind_choice", "sensors", type_="check")
    op.create_check_constraint("sensors_kind_choice", "sensors",
                               "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade() -> None:
    _kinds(KINDS)
    op.alter_column("sensors", "feature_id", existing_type=sa.BigInteger(), existing_nullable=False,
                    comment="the bay, car park, access point or traffic camera it reports on (by kind)")
    op.alter_column("sensors", "value", existing_type=sa.Integer(),
                    comment="free spaces (car park), clients (AP), vehicles (camera)")
    op.add_column("sensors", sa.Column("detail", postgresql.JSONB(), nullable=True,
                                       comment="what a kind sends besides: a camera's interval and lanes"))
    op.add_column("sensor_readings", sa.Column("detail", postgresql.JSONB(), nullable=True))
    op.add_column("sensor_hourly", sa.Column("value_sum", sa.BigInteger(), nullable=True,
                                             comment="vehicles counted in the hour (camera)"))
    op.add_column("traffic_cameras", sa.Column("flow_veh_h", sa.Integer(), nullable=True,
                                               comment="Flow now"))
    op.add_column("traffic_cameras", sa.Column("usual_veh_h", sa.Integer(), nullable=True,
                                               comment="Usual flow"))
    op.add_column("traffic_cameras", sa.Column("flow_level", sa.Text(), nullable=True,
                                               comment="Traffic"))
    op.add_column("traffic_cameras", sa.Column("counted_at", sa.DateTime(timezone=True),
                                               nullable=True, comment="Counted at"))
    op.create_check_constraint("traffic_cameras_flow_veh_h_min", "traffic_cameras", "flow_veh_h >= 0.0")
    op.create_check_constraint("traffic_cameras_usual_veh_h_min", "traffic_cameras", "usual_veh_h >= 0.0")
    op.create_check_constraint("traffic_cameras_flow_level_choice", "traffic_cameras",
                               "flow_level IN (" + ", ".join(f"'{c}'" for c in FLOW_LEVELS) + ")")
    op.execute("INSERT INTO sensors (jurisdiction_id, sensor_id, kind, feature_id) "
               "SELECT jurisdiction_id, camera_id, 'camera', id FROM traffic_cameras "
               "ON CONFLICT DO NOTHING")


def downgrade() -> None:
    op.execute("DELETE FROM sensors WHERE kind = 'camera'")
    for name in ("flow_level_choice", "usual_veh_h_min", "flow_veh_h_min"):
        op.drop_constraint(f"traffic_cameras_{name}", "traffic_cameras", type_="check")
    for column in ("counted_at", "flow_level", "usual_veh_h", "flow_veh_h"):
        op.drop_column("traffic_cameras", column)
    op.drop_column("sensor_hourly", "value_sum")
    op.drop_column("sensor_readings", "detail")
    op.drop_column("sensors", "detail")
    op.alter_column("sensors", "value", existing_type=sa.Integer(),
                    comment="free spaces (car park), clients (AP)")
    op.alter_column("sensors", "feature_id", existing_type=sa.BigInteger(), existing_nullable=False,
                    comment="the bay, car park or access point it reports on (by kind)")
    _kinds(KINDS_BEFORE)
