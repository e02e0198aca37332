"""A scanned plan in: its COG, footprint and plan into ``scanned_plans``, in one transaction.

Same rules as a vector import: CRS from the file or --crs, the footprint must lie in the
municipality, the plan (``--set plan_id=...``) must exist, all or nothing, provenance in
``imports``, the same file twice is a no-op.
"""
from __future__ import annotations

from datetime import UTC, datetime

import shapely

from gis import db, scanned_plans
from gis import imports as sqlio
from gis.errors import ImportRefused
from importers.checks import BOUNDARY_TOLERANCE_M
from importers.rasters import make_cog

LAYER_ID = "scanned_plans"


def import_scan(cur, conn, options, result, path) -> None:
    """Import the scan at ``path`` for ``result.jurisdiction_id``; commits unless a dry run."""
    plan_id = options.constants.get("plan_id")
    unknown = set(options.constants) - {"plan_id", "title"}
    if unknown or options.mapping:
        raise ImportRefused(f"{path.name}: a scan takes --set plan_id=... and --set title=... only")
    if plan_id and not scanned_plans.plan_exists(cur, result.jurisdiction_id, plan_id):
        raise ImportRefused(f"--set plan_id={plan_id}: no such plan in {result.jurisdiction_id}; "
                            "import the plan first")
    scan = make_cog(path, options.crs, options.raster_work_dir)
    try:
        result.source_crs, result.read = scan.source_crs, 1
        boundary = sqlio.boundary(cur, result.jurisdiction_id)
        centre = shapely.point_on_surface(scan.footprint)
        if boundary is not None and not boundary.buffer(BOUNDARY_TOLERANCE_M).contains(centre):
            raise ImportRefused(f"{path.name}: the scan lies outside the municipality (centre at "
                                f"EPSG:2100 {centre.x:.0f}, {centre.y:.0f}): is the CRS right? "
                                f"read as {scan.source_crs}")
        db.act_as(cur, options.actor)
        result.import_id = sqlio.start_import(cur, {
            "jurisdiction_id": result.jurisdiction_id, "file_name": options.file_name or path.name,
            "sha256": result.sha256, "layer_id": LAYER_ID, "mode": options.mode,
            "actor": options.actor, "source_crs": scan.source_crs,
            "started_at": datetime.now(UTC), "status": "committed"})
        cog_name = f"{result.jurisdiction_id}-{result.sha256[:16]}.tif"
        scanned_plans.insert_scan(cur, {
            "jurisdiction_id": result.jurisdiction_id, "plan_id": plan_id,
            "title": options.constants.get("title") or path.stem,
            "file_name": options.file_name or path.name, "sha256": result.sha256, "cog": cog_name,
            "cog_data": scan.cog.read_bytes(),
            "source_crs": scan.source_crs, "width": scan.width, "height": scan.height,
            "resolution_m": scan.resolution_m, "footprint": scan.footprint,
            "import_id": result.import_id})
        result.counts.added = 1
        sqlio.finish_import(cur, result.import_id, "committed", result.counts, 0, 0, 0, None)
        if options.dry_run:
            conn.rollback()
            result.import_id = None
            return
        conn.commit()
    finally:
        scan.cog.unlink(missing_ok=True)
