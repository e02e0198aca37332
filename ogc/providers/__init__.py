"""dimos providers for pygeoapi: thin adapters over gis/ (no SQL here)."""
