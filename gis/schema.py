"""The PostGIS schema, derived from the layer catalogue (and the migrations, from this).

Every layer table carries ``jurisdiction_id``: one installation holds several municipalities.
Natural keys are unique within a municipality. Private fields live in ``<layer>_private``,
one row per feature, so no query on a public table can ever return them.
"""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

import layers
from gis.roles import ROLES
from layers.model import STORAGE_SRID, Field, Layer

WEB_MERCATOR = 3857

# Constraint names follow one pattern so errors name the table and the rule broken.
metadata = MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "fk": "%(table_name)s_%(column_0_name)s_fkey",
        "uq": "%(table_name)s_%(column_0_name)s_key",
        "ix": "%(table_name)s_%(column_0_name)s_idx",
    }
)

_TYPES = {
    "text": Text,
    "integer": Integer,
    "bigint": BigInteger,
    "real": Float,  # double precision: areas and terms with no rounding surprises
    "boolean": Boolean,
    "date": Date,
    "timestamptz": lambda: DateTime(timezone=True),
    "text[]": lambda: ARRAY(Text),
}

jurisdictions = Table(
    "jurisdictions",
    metadata,
    Column("id", Text, primary_key=True, comment="short id, e.g. rethymno"),
    Column("name_el", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("ypes_code", Text, comment="Ministry of Interior (ΥΠΕΣ) code"),
    Column("elstat_code", Text, comment="ELSTAT (ΕΛ.ΣΤΑΤ.) code"),
    Column("boundary", Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True),
           nullable=False, comment="land area of the municipality"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(r"id ~ '^[a-z][a-z0-9_]*$'", name="jurisdictions_id_format"),
    CheckConstraint("ST_IsValid(boundary)", name="jurisdictions_boundary_valid"),
    comment="Municipalities served by this installation",
)


def _sql_literal(value: str) -> str:
    # Catalogue constants only (never request values): quote as an SQL string literal.
    return "'" + value.replace("'", "''") + "'"


def _field_checks(table: str, f: Field) -> list[CheckConstraint]:
    """CHECK constraints for a field's choices, range and pattern."""
    checks = []
    if f.choices:
        values = ", ".join(_sql_literal(c) for c in f.codes)
        checks.append(CheckConstraint(f"{f.name} IN ({values})", name=f"{table}_{f.name}_choice"))
    if f.minimum is not None:
        checks.append(CheckConstraint(f"{f.name} >= {float(f.minimum)!r}", name=f"{table}_{f.name}_min"))
    if f.maximum is not None:
        checks.append(CheckConstraint(f"{f.name} <= {float(f.maximum)!r}", name=f"{table}_{f.name}_max"))
    if f.pattern:
        checks.append(CheckConstraint(f"{f.name} ~ {_sql_literal(f.pattern)}",
                                      name=f"{table}_{f.name}_format"))
    return checks


def _column(f: Field) -> Column:
    return Column(f.name, _TYPES[f.type](), nullable=not f.required, comment=f.title_en)


def geometry_column(layer: Layer) -> Column:
    return Column("geom", Geometry(layer.geometry_type.upper(), srid=layer.srid, spatial_index=True),
                  nullable=False)


def mercator_column() -> Column:
    """The geometry in Web Mercator, transformed once on write, for vector tiles (0029)."""
    return Column("geom_mercator", Geometry("GEOMETRY", srid=WEB_MERCATOR, spatial_index=True),
                  Computed(f"ST_Transform(geom, {WEB_MERCATOR})", persisted=True),
                  comment="geom in Web Mercator, for vector tiles (derived)")


# Every import of a file (importers/): what, by whom, when, with what outcome. Each feature an
# import wrote carries its ``import_id``; re-importing the same file (same SHA-256, layer,
# municipality and mode) finds the committed row here and does nothing.
IMPORT_MODES = ("append", "upsert", "replace")
IMPORT_STATUSES = ("committed", "refused")
imports = Table(
    "imports",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("layer_id", Text, nullable=False),
    Column("mode", Text, nullable=False),
    Column("actor", Text, nullable=False, comment="who imported (cli:<user>, staff:<name>)"),
    Column("source_crs", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", Text, nullable=False),
    Column("added", Integer, nullable=False, server_default=text("0")),
    Column("updated", Integer, nullable=False, server_default=text("0")),
    Column("unchanged", Integer, nullable=False, server_default=text("0")),
    Column("deleted", Integer, nullable=False, server_default=text("0")),
    Column("rejected", Integer, nullable=False, server_default=text("0")),
    Column("repaired", Integer, nullable=False, server_default=text("0")),
    Column("skipped", Integer, nullable=False, server_default=text("0"),
           comment="features outside the municipality left out on request"),
    Column("report", Text, comment="where the reject report was written"),
    CheckConstraint("mode IN (" + ", ".join(_sql_literal(m) for m in IMPORT_MODES) + ")",
                    name="imports_mode_choice"),
    CheckConstraint("status IN (" + ", ".join(_sql_literal(s) for s in IMPORT_STATUSES) + ")",
                    name="imports_status_choice"),
    Index("imports_file_idx", "jurisdiction_id", "layer_id", "sha256"),
    comment="Imported files and their outcome (provenance of imported features)",
)


# Georeferenced scans of plans (importers/rasters.py): the Cloud Optimized GeoTIFF itself (every
# node reads it from here: migration 0027), its footprint, and the plan it belongs to. Served as
# XYZ PNG tiles for the map overlay. Not a catalogue layer: its features are rasters, not
# vector records.
scanned_plans = Table(
    "scanned_plans",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
    Column("plan_id", Text, comment="the plan (plans.plan_id) the scan belongs to"),
    Column("title", Text, nullable=False),
    Column("file_name", Text, nullable=False, comment="the scan as it was imported"),
    Column("sha256", Text, nullable=False),
    Column("cog", Text, nullable=False, comment="file name of the COG in the raster store"),
    Column("cog_data", LargeBinary,
           comment="the COG itself; NULL: a file in the node's raster folder (before 0027)"),
    Column("source_crs", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("resolution_m", Float, nullable=False, comment="pixel size on the ground"),
    Column("footprint", Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True),
           nullable=False),
    Column("import_id", BigInteger, ForeignKey(imports.c.id)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("jurisdiction_id", "sha256", name="scanned_plans_natural_key"),
    comment="Scanned plans: Cloud Optimized GeoTIFFs, their footprints and plans",
)


def _modified_column(layer: Layer) -> tuple[Column, ...]:
    """An editable layer's time of each feature's last change (a trigger keeps it, in whole
    seconds: migration 0026): what Last-Modified and If-Unmodified-Since compare."""
    if not layer.editable:
        return ()
    return (Column("modified_at", DateTime(timezone=True), nullable=False,
                   server_default=text("date_trunc('second', now())"),
                   comment="when the feature last changed, in whole seconds (Last-Modified, "
                           "If-Unmodified-Since)"),)


def _layer_table(layer: Layer, md: MetaData = metadata, comment_prefix: str = "") -> Table:
    name = layer.table
    constraints = [
        CheckConstraint("ST_IsValid(geom)", name=f"{name}_geom_valid"),
        CheckConstraint("NOT ST_IsEmpty(geom)", name=f"{name}_geom_not_empty"),
        UniqueConstraint("jurisdiction_id", *layer.natural_key, name=f"{name}_natural_key"),
        *(UniqueConstraint("jurisdiction_id", f.name, name=f"{name}_{f.name}_unique")
          for f in layer.public_fields if f.unique),
        *(check for f in layer.public_fields for check in _field_checks(name, f)),
        *(CheckConstraint(expr, name=check_name) for check_name, expr in layer.checks),
    ]
    if layer.allowed_geometries:
        allowed = ", ".join(_sql_literal(g) for g in layer.allowed_geometries)
        constraints.append(CheckConstraint(f"GeometryType(geom) IN ({allowed})",
                                           name=f"{name}_geom_type"))
    if layer.private_fields:
        # the private table's composite key points here, so it cannot disagree on jurisdiction
        constraints.append(UniqueConstraint("id", "jurisdiction_id", name=f"{name}_id_jurisdiction"))
    return Table(
        name,
        md,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
        *(_column(f) for f in layer.public_fields),
        geometry_column(layer),
        mercator_column(),
        Column("import_id", BigInteger, ForeignKey(imports.c.id),
               comment="the import that last wrote this feature (NULL: not imported)"),
        *_modified_column(layer),
        Index(f"{name}_jurisdiction_id_idx", "jurisdiction_id"),
        *constraints,
        comment=f"{comment_prefix}{layer.title_en} / {layer.title_el}",
    )


def _private_table(layer: Layer, md: MetaData = metadata, comment_prefix: str = "") -> Table:
    name = layer.private_table
    return Table(
        name,
        md,
        Column("feature_id", BigInteger, primary_key=True),
        Column("jurisdiction_id", Text, nullable=False),
        *(_column(f) for f in layer.private_fields),
        ForeignKeyConstraint(["feature_id", "jurisdiction_id"],
                             [f"{layer.table}.id", f"{layer.table}.jurisdiction_id"],
                             ondelete="CASCADE", name=f"{name}_feature_fkey"),
        *(check for f in layer.private_fields for check in _field_checks(name, f)),
        comment=f"{comment_prefix}Personal data of {layer.id}: staff only, never published",
    )


def published_layer_tables(layer: Layer) -> list[Table]:
    """The tables of a layer published as data (its private one second, if it has private
    fields): as a declared layer's, in a metadata of their own (no migration compares them)."""
    md = MetaData(naming_convention=metadata.naming_convention)
    prefix = PUBLISHED_TABLE_COMMENT
    return [_layer_table(layer, md, prefix)] + (
        [_private_table(layer, md, prefix)] if layer.private_fields else [])


TABLES: dict[str, Table] = {layer.id: _layer_table(layer) for layer in layers.CATALOGUE}
PRIVATE_TABLES: dict[str, Table] = {
    layer.id: _private_table(layer) for layer in layers.CATALOGUE if layer.private_fields
}

# pgRouting's vertices of the road network, rebuilt with the topology (gis/routing.py).
road_vertices = Table(
    "road_vertices",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
    Column("geom", Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False),
    Index("road_vertices_jurisdiction_id_idx", "jurisdiction_id"),
    comment="Road network vertices (pgRouting source/target ids)",
)

# The version of every layer's data, bumped by a trigger in the writing transaction
# (migration 0002): tile caches and ETags key on it, so nothing is served stale after a write.
layer_changes = Table(
    "layer_changes",
    metadata,
    Column("layer_id", Text, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    comment="Data version of each layer (bumped by trigger on every write)",
)


# API tokens: only a SHA-256 of each token is stored, so a leaked table grants nothing.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("name", Text, nullable=False, comment="who or what holds the token"),
    Column("role", Text, nullable=False),
    Column("token_sha256", Text, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint("role IN (" + ", ".join(_sql_literal(r) for r in ROLES) + ")",
                    name="api_tokens_role_choice"),
    # one live token per name; revoked ones stay as history
    Index("api_tokens_live_name_idx", "name", unique=True,
          postgresql_where=text("revoked_at IS NULL")),
    comment="API tokens (hashed) and the role each grants",
)

# Open311: the request categories of each municipality, with SLA and default department.
services = Table(
    "services",
    metadata,
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), primary_key=True),
    Column("service_code", Text, primary_key=True),
    Column("name_el", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("description", Text),
    Column("group_name", Text),
    Column("keywords", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("sla_hours", Integer, nullable=False, comment="expected completion after submission"),
    Column("department", Text, nullable=False, comment="assigned unless a routing rule says"),
    Column("attributes", JSONB, nullable=False, server_default=text("'[]'::jsonb"),
           comment="Open311 service definition attributes"),
    CheckConstraint("sla_hours > 0", name="services_sla_positive"),
    comment="Citizen request categories (Open311 services)",
)

# Department by category × area: the most specific matching rule wins.
service_routing = Table(
    "service_routing",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, nullable=False),
    Column("service_code", Text, nullable=False),
    Column("district_code", Text, comment="any district when empty"),
    Column("settlement_code", Text, comment="any settlement when empty"),
    Column("department", Text, nullable=False),
    ForeignKeyConstraint(["jurisdiction_id", "service_code"],
                         ["services.jurisdiction_id", "services.service_code"],
                         ondelete="CASCADE", name="service_routing_service_fkey"),
    comment="Which department handles a category in an area",
)

# Every change of a request, never overwritten: the request row holds the current state only.
service_request_updates = Table(
    "service_request_updates",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, nullable=False),
    Column("request_id", BigInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("note", Text, comment="public note shown to the citizen"),
    Column("private_note", Text,
           comment="note for the reporter only: shown to their signed-in account, never published"),
    Column("agency_responsible", Text),
    Column("crew", Text),
    Column("duplicate_of", Text),
    Column("actor", Text, nullable=False, comment="who made the change (staff, or citizen)"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ForeignKeyConstraint(["request_id", "jurisdiction_id"],
                         ["service_requests.id", "service_requests.jurisdiction_id"],
                         ondelete="CASCADE", name="service_request_updates_request_fkey"),
    Index("service_request_updates_request_id_idx", "request_id"),
    Index("service_request_updates_created_at_idx", "created_at"),
    comment="History of citizen requests: each status change with who, when and a public note",
)

# Photos of requests, re-encoded without metadata (no EXIF, no GPS) before they are stored.
service_request_media = Table(
    "service_request_media",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, nullable=False),
    Column("request_id", BigInteger, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ForeignKeyConstraint(["request_id", "jurisdiction_id"],
                         ["service_requests.id", "service_requests.jurisdiction_id"],
                         ondelete="CASCADE", name="service_request_media_request_fkey"),
    Index("service_request_media_request_id_idx", "request_id"),
    comment="Photos of citizen requests (metadata stripped)",
)

# Status-change notifications waiting for (or sent by) a sender: e-mail now, push later.
notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, nullable=False),
    Column("request_id", BigInteger, nullable=False),
    Column("channel", Text, nullable=False, server_default=text("'email'")),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    ForeignKeyConstraint(["request_id", "jurisdiction_id"],
                         ["service_requests.id", "service_requests.jurisdiction_id"],
                         ondelete="CASCADE", name="notification_outbox_request_fkey"),
    Index("notification_outbox_unsent_idx", "id", postgresql_where=text("sent_at IS NULL")),
    comment="Notifications to citizens; the recipient is read from the private table at send time",
)

# Every write to the municipality's data: who, when, which row, before and after. Filled by
# triggers (migration 0005), so no write path can forget it; bulk loads may opt out.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("table_name", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("row_id", BigInteger),
    Column("before", JSONB),
    Column("after", JSONB),
    Index("audit_log_table_row_idx", "table_name", "row_id"),
    comment="Audit trail of writes (staff only: it holds personal data of private tables)",
)

# Every feature created, updated or deleted, written by a row trigger in the writing
# transaction (migration 0021) and published as a CloudEvent by the relay (mqtt/changes.py):
# a rolled-back write leaves nothing to publish, a committed one is published at least once.
# Secrets every node reads, each made once (migration 0025): the session-signing key.
shared_secrets = Table(
    "shared_secrets",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("length(value) >= 32", name="shared_secrets_value_long"),
    comment="Secrets every node reads (the session-signing key), each made once",
)

# An Idempotency-Key of a report and the answer it got (migration 0028): a repeat gets that
# answer back instead of filing the report again.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False,
           comment="SHA-256 of who sent what where: a key reused for another request is refused"),
    Column("status", Integer, comment="the first answer's HTTP status"),
    Column("content_type", Text),
    Column("body", LargeBinary, comment="the first answer's body"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    comment="Idempotency-Key of each report sent with one, and the answer it got",
)

feature_changes = Table(
    "feature_changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(), nullable=False, server_default=text("gen_random_uuid()"),
           comment="the CloudEvent's id (a re-delivery carries the same)"),
    Column("jurisdiction_id", Text, nullable=False),
    Column("table_name", Text, nullable=False),
    Column("feature_id", BigInteger, nullable=False),
    Column("geometry_type", Text, comment="which collection of a shared table the feature is in"),
    Column("operation", Text, nullable=False),
    Column("feature", JSONB,
           comment="geometry (CRS84) and columns after the write; NULL for a delete"),
    Column("changed_at", DateTime(timezone=True), nullable=False,
           server_default=text("clock_timestamp()")),
    Column("published_at", DateTime(timezone=True)),
    CheckConstraint("operation IN ('created', 'updated', 'deleted')",
                    name="feature_changes_operation_choice"),
    Index("feature_changes_pending_idx", "id", postgresql_where=text("published_at IS NULL")),
    comment="Outbox of feature changes, published as CloudEvents by the relay",
)

# The layers published from files as data (dimos layer publish, gis/published_layers.py):
# their tables are made at publishing, not here, and marked by PUBLISHED_TABLE_COMMENT.
published_layers = Table(
    "published_layers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("spec", JSONB, nullable=False,
           comment="the layer in the catalogue's vocabulary (layers/spec.py)"),
    Column("retired_at", DateTime(timezone=True),
           comment="when it was retired (served nowhere, data kept); NULL: published"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("created_by", Text, nullable=False),
    CheckConstraint("id ~ '^[a-z][a-z0-9_]*$'", name="published_layers_id_format"),
    comment="Layers published from files as data (dimos layer publish), not declared in code",
)
catalogue_version = Table(
    "catalogue_version",
    metadata,
    Column("one", Boolean, primary_key=True, server_default=text("true")),
    Column("version", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("one", name="catalogue_version_one"),
    comment="Bumped by every change of published_layers: workers rebuild their collections",
)
#: how the table of a published layer (and its private table) begins its comment: what the
#: migrations' comparison leaves alone (gis/migrate.py)
PUBLISHED_TABLE_COMMENT = "published layer: "


# Public POSTs per client, one row a hit (rate limits shared by every worker): a sliding window
# counts the hits of the last minute, whatever the clock says.
rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("client", Text, nullable=False),
    Column("bucket", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("rate_limit_hits_client_idx", "client", "bucket", "at"),
    prefixes=["UNLOGGED"],
    comment="Hits of public POSTs per client, for sliding-window limits (unlogged: losing "
            "them is fine)",
)


# Live sensors (gis/sensors.py): one row per device with its current state, written by the
# ingest worker as readings arrive, so no query ever scans the history for "the latest".
SENSOR_KINDS = ("bay", "lot", "ap", "camera")
sensors = Table(
    "sensors",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
    Column("sensor_id", Text, nullable=False, comment="the device's id in topics and payloads"),
    Column("kind", Text, nullable=False),
    Column("feature_id", BigInteger, nullable=False,
           comment="the bay, car park, access point or traffic camera it reports on (by kind)"),
    Column("observed_at", DateTime(timezone=True), comment="time of the newest reading"),
    Column("state", Text, comment="free/occupied (bay), up/down (AP)"),
    Column("value", Integer, comment="free spaces (car park), clients (AP), vehicles (camera)"),
    Column("battery_pct", Float),
    Column("detail", JSONB, comment="what a kind sends besides: a camera's interval and lanes"),
    UniqueConstraint("jurisdiction_id", "sensor_id", name="sensors_natural_key"),
    UniqueConstraint("kind", "feature_id", name="sensors_kind_feature_key"),
    CheckConstraint("kind IN (" + ", ".join(_sql_literal(k) for k in SENSOR_KINDS) + ")",
                    name="sensors_kind_choice"),
    comment="Sensors and their current state (updated on every newer reading)",
)

#: partitions of sensor_readings are named <this><yyyymm>; alembic leaves them alone
READINGS_PARTITION_PREFIX = "sensor_readings_"

# Every reading, one month per partition (retention drops whole months). The key makes
# ingestion idempotent: a re-delivered (sensor, time) is stored once. No jurisdiction column
# and no foreign key on 300 million rows a year: the sensor row carries both.
sensor_readings = Table(
    "sensor_readings",
    metadata,
    Column("sensor", BigInteger, primary_key=True),
    Column("observed_at", DateTime(timezone=True), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("state", Text),
    Column("value", Integer),
    Column("battery_pct", Float),
    Column("detail", JSONB),
    postgresql_partition_by="RANGE (observed_at)",
    comment="Sensor readings (partitioned by month of observation)",
)

# Hourly downsampling of the readings, kept after the raw months are dropped.
sensor_hourly = Table(
    "sensor_hourly",
    metadata,
    Column("sensor", BigInteger, ForeignKey(sensors.c.id, ondelete="CASCADE"), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
    Column("readings", Integer, nullable=False),
    Column("occupied", Integer, nullable=False, comment="readings occupied (bay) or down (AP)"),
    Column("value_avg", Float, comment="mean free spaces (car park) or clients (AP)"),
    Column("value_max", Integer),
    Column("value_sum", BigInteger, comment="vehicles counted in the hour (camera)"),
    Index("sensor_hourly_hour_idx", "hour"),
    comment="Hourly aggregates of sensor readings (kept beyond the raw readings' retention)",
)

# Readings refused or skipped, by reason: the worker counts, /metrics and `dimos sensors
# status` read.
sensor_ingest_counts = Table(
    "sensor_ingest_counts",
    metadata,
    Column("outcome", Text, primary_key=True),
    Column("count", BigInteger, nullable=False),
    comment="Readings by outcome (stored, duplicate, unknown_sensor, malformed, future)",
)

# Paid parking sessions, posted by the payment app. The plate is personal data: only the
# wardens' (staff, crew) outputs show it.
parking_sessions = Table(
    "parking_sessions",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id), nullable=False),
    Column("session_ref", Text, nullable=False, comment="the payment app's id of the session"),
    Column("bay_id", Text, nullable=False),
    Column("plate", Text),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("jurisdiction_id", "session_ref", name="parking_sessions_natural_key"),
    CheckConstraint("ends_at > starts_at", name="parking_sessions_ends_after_start"),
    Index("parking_sessions_bay_idx", "jurisdiction_id", "bay_id", "ends_at"),
    comment="Paid parking sessions (from the payment app); the plate is private",
)

# pygeoapi's job store (its PostgreSQL manager reads and writes it; its columns are pygeoapi's):
# asynchronous process runs, visible to every worker. Installation-wide, like api_tokens.
jobs = Table(
    "jobs",
    metadata,
    Column("identifier", Text, primary_key=True),
    Column("type", Text, nullable=False, server_default=text("'process'")),
    Column("process_id", Text, nullable=False),
    Column("created", DateTime),
    Column("started", DateTime),
    Column("finished", DateTime),
    Column("updated", DateTime),
    Column("status", Text, nullable=False),
    Column("location", Text),
    Column("mimetype", Text),
    Column("message", Text),
    Column("progress", Integer, nullable=False),
    Column("owner", Text, comment="who started it (role:name); none: anonymous, its id is the key"),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id),
           comment="the municipality its starter acted in; none: anonymous, several or every one"),
    Column("output", LargeBinary, comment="the result of a successful job, as pygeoapi wrote it"),
    comment="OGC API Processes jobs (pygeoapi's PostgreSQL manager)",
)

# People who sign in: local accounts (argon2id hashes only) and those single sign-on made.
accounts = Table(
    "accounts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("username", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, comment="argon2id (PHC string); none for single sign-on"),
    Column("identity_provider", Text,
           comment="the OpenID Connect provider that signs this person in (none: local)"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("signed_in_at", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),
    CheckConstraint("role IN (" + ", ".join(_sql_literal(r) for r in ROLES) + ")",
                    name="accounts_role_choice"),
    CheckConstraint("(password_hash IS NULL) <> (identity_provider IS NULL)",
                    name="accounts_one_way_to_sign_in"),
    comment="Accounts: local (password) or single sign-on (OpenID Connect); sessions by cookie",
)

# Who belongs to which municipality: an account's or a token's role holds only within its
# municipalities (an admin with none: in every one), in Python (gis/access_rules.py) and in
# PostgreSQL (the row-level policies keyed on them).
memberships = Table(
    "memberships",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("account_id", BigInteger, ForeignKey(accounts.c.id, ondelete="CASCADE")),
    Column("token_id", BigInteger, ForeignKey(api_tokens.c.id, ondelete="CASCADE")),
    Column("jurisdiction_id", Text, ForeignKey(jurisdictions.c.id, ondelete="CASCADE"),
           nullable=False),
    CheckConstraint("num_nonnulls(account_id, token_id) = 1", name="memberships_one_principal"),
    UniqueConstraint("account_id", "jurisdiction_id", name="memberships_account_key"),
    UniqueConstraint("token_id", "jurisdiction_id", name="memberships_token_key"),
    comment="The municipalities each account and token belongs to (its role holds there only)",
)

# Signed-in sessions: the cookie carries a random id, the server keeps its hash, so signing out,
# disabling an account or changing its role ends a session on every worker at once.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", Text, primary_key=True,
           comment="SHA-256 of the cookie's session id (the id itself is never stored)"),
    Column("account_id", BigInteger, ForeignKey(accounts.c.id, ondelete="CASCADE"),
           nullable=False),
    Column("csrf_token", Text, nullable=False,
           comment="what every unsafe request on this session must carry"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("sessions_account_id_idx", "account_id"),
    comment="Sessions of signed-in accounts (ended by sign-out, disabling, a role change)",
)
