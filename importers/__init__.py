"""Importers: files of every kind planners have (OpenStreetMap, boundaries, settlements) in."""
