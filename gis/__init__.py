"""The spatial core of dimos: the PostGIS schema and its migrations, all of its SQL (features, tiles,
planning, sensors, requests, crews, imports), parsing and the access rules."""
