"""Publishing a layer from the staff view: POST /api/layers/preview shows what a file would
become (fields, types, geometry type, CRS, the first features on the map); POST /api/layers
publishes it (importers/publish.py, as `dimos layer publish`). Staff only (dimos/access.py),
into their own municipality.

Making a table is the owner's to do, not the app role's (row-level security binds that one):
publishing connects with the owner's URL, after the role and the municipality are checked.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, g, jsonify, request

from dimos.imports_api import TRUE, _import_jurisdiction
from dimos.uploads import saved_upload
from gis import catalogue
from gis.db import connect
from gis.errors import ImportRefused
from settings import Settings

#: features of the file drawn on the preview map
PREVIEW_FEATURES = 50


def _options(form, path: Path, jurisdiction: str | None, settings: Settings, actor: str,
             file_name: str):
    from importers.archives import limits_from
    from importers.pipeline import ImportOptions
    from importers.publish import PublishOptions

    base = ImportOptions(path=path, layer_id=form.get("id", ""), crs=form.get("crs") or None,
                         jurisdiction=jurisdiction, encoding=form.get("encoding") or None,
                         source_layer=form.get("source_layer") or None, actor=actor,
                         skip_outside=form.get("skip_outside", "").lower() in TRUE,
                         fallback_report_dir=path.parent / "reports",
                         archive_limits=limits_from(settings), file_name=file_name)
    editors = tuple(r.strip() for r in form.get("editors", "").split(",") if r.strip())
    return PublishOptions(
        path=path, layer_id=form.get("id", "").strip(), title_el=form.get("title_el", ""),
        title_en=form.get("title_en", ""), key=form.get("key", "").strip(),
        private=tuple(form.getlist("private")), color=form.get("color") or "#3182bd",
        editors=editors, import_options=base)


def make_layers_blueprint(settings: Settings) -> Blueprint:
    blueprint = Blueprint("published_layers", __name__)
    owner_url = settings.effective_database_url

    @contextmanager
    def uploaded():
        with saved_upload(settings.import_max_mb, "publish it with `dimos layer publish` on "
                          "the server", "dimos-publish-") as saved:
            try:
                yield saved.path, saved.file_name
            except ImportRefused as error:
                # the message names the saved copy: say the name the user knows
                error.message = error.message.replace(str(saved.folder) + "/", "").replace(
                    saved.path.name, saved.file_name)
                raise

    @blueprint.post("/api/layers/preview")
    def preview():
        """What the file would be published as: its fields (column, name, type), geometry type,
        CRS, feature count and its first features (GeoJSON, CRS84)."""
        from importers.publish import preview_file

        with uploaded() as (path, name):
            options = _options(request.form, path, None, settings, "preview", name)
            conn = connect(owner_url)
            try:
                with conn.cursor() as cur:
                    found = preview_file(cur, options, PREVIEW_FEATURES)
            finally:
                conn.rollback()
                conn.close()
        return jsonify(found)

    @blueprint.post("/api/layers")
    def publish():
        """Publish the file: multipart ``file``, ``id``, ``title_el``, ``title_en``, ``key``,
        ``private`` (repeatable), ``color``, ``editors``, ``jurisdiction``."""
        from importers.publish import publish as publish_file

        with uploaded() as (path, name):
            jurisdiction = _import_jurisdiction(g.principal,
                                                request.form.get("jurisdiction") or None)
            options = _options(request.form, path, jurisdiction, settings,
                               f"{g.principal.role}:{g.principal.name}", name)
            layer, result = publish_file(owner_url, options)
        catalogue.expire()  # this worker's next request sees it at once
        return jsonify(id=layer.id, title={"el": layer.title_el, "en": layer.title_en},
                       geometry_type=layer.geometry_type, jurisdiction=result.jurisdiction_id,
                       read=result.read, added=result.counts.added, skipped=result.skipped,
                       import_id=result.import_id), 201

    return blueprint
