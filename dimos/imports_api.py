"""POST /api/imports: signed-in staff upload a file into a layer through the importers' pipeline;
GET /api/imports: the latest imports and their counts (provenance, staff only). Both are
confined to the principal's municipalities.

The same checks, all-or-nothing write and provenance as `dimos import`; the answer carries the
counts, or (422) the one-line reason and every rejected row. A staff token is required
(dimos/access.py); files above DIMOS_IMPORT_MAX_MB are refused before they are read.
"""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, g, jsonify, request

from dimos.uploads import saved_upload
from gis.access_rules import check_acts_in
from gis.errors import ImportRefused, InvalidParameter
from gis.roles import Principal
from settings import Settings

TRUE = {"1", "true", "yes", "on"}


def _pairs(values: list[str], name: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        target, sep, source = value.partition("=")
        if not sep or not target.strip():
            raise InvalidParameter(f"{name}: FIELD=VALUE, not {value!r}")
        pairs[target.strip()] = source.strip()
    return pairs


def _import_jurisdiction(principal: Principal, asked: str | None) -> str | None:
    """The municipality an upload goes into: the one asked for, else the principal's only one
    (Forbidden where its role does not hold; a file's features outside it are refused by the
    pipeline). None: an installation-wide admin, for whom the pipeline picks or asks."""
    asked = asked or principal.jurisdiction
    if asked is None and not principal.everywhere:
        held = ", ".join(sorted(principal.municipalities)) or "none"
        raise InvalidParameter(f"jurisdiction: required; the municipality to import into, one of "
                               f"yours ({held})")
    if asked is not None:
        check_acts_in(principal, asked, "this import")
    return asked


def make_imports_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("imports", __name__)
    url = settings.effective_app_database_url

    @blueprint.post("/api/imports")
    def upload():
        """multipart/form-data: file, layer, and the options of `dimos import` as fields."""
        from importers.archives import limits_from
        from importers.dxf import parse_entity_types
        from importers.pipeline import ImportOptions, run_import

        form = request.form
        with saved_upload(settings.import_max_mb, "import it with `dimos import` on the server",
                          "dimos-upload-") as saved:
            jurisdiction = _import_jurisdiction(g.principal, form.get("jurisdiction") or None)
            folder, path, file_name = saved.folder, saved.path, saved.file_name
            options = ImportOptions(
                path=path, layer_id=form.get("layer", ""), crs=form.get("crs") or None,
                mapping=_pairs(form.getlist("map"), "map"), constants=_pairs(form.getlist("set"), "set"),
                mode=form.get("mode", "append"), dry_run=form.get("dry_run", "").lower() in TRUE,
                jurisdiction=jurisdiction,
                source_layers=tuple(v for v in form.getlist("source_layer") if v),
                entity_types=parse_entity_types(form.getlist("entity_types")),
                encoding=form.get("encoding") or None,
                skip_outside=form.get("skip_outside", "").lower() in TRUE,
                attributes_only=form.get("attributes_only", "").lower() in TRUE,
                actor=f"{g.principal.role}:{g.principal.name}", fallback_report_dir=folder / "reports",
                raster_work_dir=settings.state_dir / "rasters", archive_limits=limits_from(settings),
                file_name=file_name, principal=g.principal)
            try:
                result = run_import(url, options)
            except ImportRefused as error:
                if error.detail:
                    current_app.logger.warning("%s: %s", error.message, error.detail)
                findings = [asdict(f) for f in getattr(error, "findings", [])]
                # the message names the saved copy: say the name the user knows
                description = error.message.replace(str(folder) + "/", "").replace(
                    path.name, file_name)
                return jsonify(code=error.code, description=description,
                               rejects=findings), error.status
            return jsonify(import_id=result.import_id, layer=result.layer_id,
                           jurisdiction=result.jurisdiction_id, sha256=result.sha256,
                           source_crs=result.source_crs, already_imported=result.already_imported,
                           dry_run=result.dry_run, read=result.read, **asdict(result.counts),
                           repaired=result.repaired, skipped=result.skipped,
                           not_selected=result.not_selected, labels=result.labels)

    @blueprint.get("/api/imports")
    def recent():
        """The latest imports (provenance: file, SHA-256, who, when, counts); staff only."""
        from gis.db import pooled_cursor
        from gis.imports import recent_imports

        try:
            limit = min(max(int(request.args.get("limit", 100)), 1), 1000)
        except ValueError:
            raise InvalidParameter("limit: a whole number from 1 to 1000") from None
        with pooled_cursor(url, principal=g.principal) as cur:
            return jsonify(imports=recent_imports(cur, request.args.get("layer") or None, limit,
                                                  jurisdictions=_seen(g.principal)))

    return blueprint


def _seen(principal: Principal) -> list[str] | None:
    """The municipalities whose imports a principal sees (None: every one)."""
    return None if principal.everywhere else sorted(principal.municipalities)
