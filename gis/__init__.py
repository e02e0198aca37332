"""The core of dimos: PostGIS schema, database lifecycle, spatial SQL and routing."""
