"""Mounting pygeoapi under /ogc: the one place that handles its import-time configuration.

pygeoapi reads ``PYGEOAPI_CONFIG``/``PYGEOAPI_OPENAPI``/``PYGEOAPI_ASYNCAPI`` when
``pygeoapi.flask_app`` is first imported, so a process serves one configuration: this module
writes it (from the catalogue), the OpenAPI and AsyncAPI documents and the offline templates,
sets the variables, then imports.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import yaml
from flask import Flask, g, jsonify, request
from pygeoapi.error import GenericError
from werkzeug.datastructures import Headers

from gis import catalogue
from gis.db import ping, pooled_cursor
from gis.errors import DimosError, InvalidParameter
from gis.jurisdictions import jurisdiction_ids, municipalities_extent_crs84
from ogc import patches
from ogc.asyncapi import asyncapi_document, write_asyncapi_page
from ogc.caching import register_cache_headers
from ogc.config import build_config
from ogc.exception_types import processes_exception_types
from ogc.feature_etags import register_feature_etags
from ogc.filters import check_items_filter
from ogc.job_documents import register_job_documents
from ogc.live_catalogue import register_live_catalogue
from ogc.logs import quiet_client_errors
from ogc.openapi import offline_document
from ogc.paging import register_paging
from ogc.process_paging import register_process_paging
from ogc.schemas import register_schemas
from ogc.sync_execution import register_sync_execution
from ogc.templates import CSP_MARKER, write_offline_templates
from servers.processes import alive
from settings import Settings

WORLD = [-180.0, -90.0, 180.0, 90.0]
PROCESS_EXECUTION = re.compile(r"^/ogc/processes/[^/]+/execution$")


def _extent_crs84(settings: Settings) -> list[float]:
    """The municipalities' extent in CRS84, or the world while the database is unreachable."""
    try:
        with pooled_cursor(settings.effective_app_database_url) as cur:
            extent = municipalities_extent_crs84(cur)
    except Exception:  # start without the database (health says 503), never fail to start
        return WORLD
    return [round(v, 6) for v in extent] if extent else WORLD


STATE_FILE = re.compile(r"^(?:(?:pygeoapi-config|openapi|asyncapi)-(\d+)\.(?:yml|json)"
                        r"|templates-(\d+))$")


def _remove_files_of_dead_processes(folder: Path) -> None:
    """Each worker writes its own config, OpenAPI files and templates: those of workers gone
    are litter."""
    for path in folder.iterdir():
        match = STATE_FILE.match(path.name)
        if match is None:
            continue
        if alive(int(match.group(1) or match.group(2))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _read_catalogue(settings: Settings) -> None:
    """The published layers, for the first configuration (ogc/live_catalogue.py follows them)."""
    try:
        with pooled_cursor(settings.effective_app_database_url) as cur:
            catalogue.refresh(cur, force=True)
    except Exception:  # start without the database (health says 503), never fail to start
        pass


def _jurisdiction_ids(settings: Settings) -> list[str]:
    """The municipalities the database holds, or none while it is unreachable."""
    try:
        with pooled_cursor(settings.effective_app_database_url) as cur:
            return jurisdiction_ids(cur)
    except Exception:  # start without the database (health says 503), never fail to start
        return []


def write_asyncapi(settings: Settings, folder: Path, templates: Path) -> Path:
    """Write the AsyncAPI document of the feature changes, and its HTML page; its path (YAML:
    pygeoapi reads a JSON file back as text and would serve it quoted)."""
    document = asyncapi_document(settings.effective_public_url, settings.mqtt_address,
                                 _jurisdiction_ids(settings))
    write_asyncapi_page(templates, document)
    path = folder / f"asyncapi-{os.getpid()}.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def write_configuration(settings: Settings) -> tuple[Path, Path, Path]:
    """Write pygeoapi's config, OpenAPI and AsyncAPI documents; return their paths."""
    from pygeoapi.openapi import get_oas

    folder = settings.state_dir / "ogc"
    folder.mkdir(parents=True, exist_ok=True)
    _remove_files_of_dead_processes(folder)
    _read_catalogue(settings)
    config = build_config(settings, settings.effective_public_url, _extent_crs84(settings))
    write_offline_templates(Path(config["server"]["templates"]["path"]), CSP_MARKER)
    Path(config["server"]["manager"]["output_dir"]).mkdir(parents=True, exist_ok=True)
    config_path = folder / f"pygeoapi-config-{os.getpid()}.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    openapi_path = folder / f"openapi-{os.getpid()}.json"
    # whole offline: no schemas.opengis.net references left to fetch
    openapi_path.write_text(json.dumps(offline_document(get_oas(config)), ensure_ascii=False,
                                       default=str), encoding="utf-8")
    asyncapi_path = write_asyncapi(settings, folder, Path(config["server"]["templates"]["path"]))
    return config_path, openapi_path, asyncapi_path


GEOJSON = "application/geo+json"
CQL2_JSON = "application/query-cql-json"


class UnsupportedMediaType(DimosError):
    """A body of a media type the endpoint does not take."""

    status = 415
    code = "UnsupportedMediaType"


def item_posts_by_media_type() -> None:
    """POST on a collection's items creates a feature (GeoJSON) or searches (CQL2 JSON), read
    from the media type as HTTP means it (any case, any parameters): pygeoapi compares the
    Content-Type header with 'application/geo+json' exactly and takes anything else for a
    search. dimos/access.py has already required an editor for all but CQL2 JSON."""
    if request.method != "POST" or request.endpoint != "pygeoapi.collection_items" \
            or (request.view_args or {}).get("item_id") is not None:
        return
    if request.mimetype == GEOJSON:
        request.environ["CONTENT_TYPE"] = GEOJSON  # what pygeoapi recognises as a create
    elif request.mimetype != CQL2_JSON:
        raise UnsupportedMediaType(f"POST items takes a feature ({GEOJSON}) or a search "
                                   f"({CQL2_JSON}), not {request.mimetype or 'no media type'}")


#: the members of an execute request (Processes 1.0, execute.yaml)
EXECUTE_MEMBERS = ("inputs", "outputs", "response", "subscriber")


def execute_requests_only() -> None:
    """A body posted to a process's execution is an execute request: pygeoapi runs the
    process on any JSON object, taking a missing ``inputs`` for none, so a body of other
    members (a mistyped ``input``, the official suite's ``invalid-execute-request``) ran it
    with its defaults and answered 200. The body was read as a JSON object
    (dimos/request_input.py)."""
    if request.method != "POST" or not PROCESS_EXECUTION.match(request.path):
        return
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return  # no body: pygeoapi answers it
    unknown = sorted(set(body) - set(EXECUTE_MEMBERS))
    if unknown:
        raise InvalidParameter(f"body: {', '.join(unknown)} is no member of an execute "
                               f"request; it has {', '.join(EXECUTE_MEMBERS)}")
    if not isinstance(body.get("inputs", {}), dict):
        raise InvalidParameter("body: inputs is an object of the inputs by their ids")


MVT = "application/vnd.mapbox-vector-tile"


def tiles_default_to_mvt() -> None:
    """A tile asked for without ``f`` and with no Accept, or only wildcards (``*/*``, as GDAL,
    curl and most tile clients send), is a Mapbox Vector Tile, the only format dimos's tiles
    come in: pygeoapi would answer 400 "Invalid format requested"."""
    if request.endpoint != "pygeoapi.get_collection_tiles_data" or request.args.get("f"):
        return
    if all("*" in accepted for accepted, _ in request.accept_mimetypes):
        request.environ["HTTP_ACCEPT"] = MVT  # pygeoapi reads the header, not Flask's parse


def _provider_error(error):
    """A pygeoapi error raised where pygeoapi itself does not catch it: its status, not a 500."""
    return jsonify(code=error.ogc_exception_code, description=error.message), \
        int(error.http_status_code)


def register_ogc(app: Flask, settings: Settings) -> None:
    """Mount pygeoapi's blueprint under /ogc, configured from the catalogue."""
    if "pygeoapi.flask_app" in sys.modules:
        mounted = app.extensions.get("dimos.ogc_config") or os.environ.get("PYGEOAPI_CONFIG")
        raise RuntimeError(f"pygeoapi is already configured in this process ({mounted}); "
                           "one configuration per process: start another process")
    # where pygeoapi has no extension point: checked first (a start with a pygeoapi that
    # changed there fails, naming what), before any file is written
    patches.apply()
    config_path, openapi_path, asyncapi_path = write_configuration(settings)
    os.environ["PYGEOAPI_CONFIG"] = str(config_path)
    os.environ["PYGEOAPI_OPENAPI"] = str(openapi_path)
    os.environ["PYGEOAPI_ASYNCAPI"] = str(asyncapi_path)  # served at /ogc/asyncapi, linked
    from pygeoapi.flask_app import BLUEPRINT

    quiet_client_errors()  # tracebacks for bad input: logging filters, not patches
    app.register_blueprint(BLUEPRINT, url_prefix="/ogc")
    register_live_catalogue(app, settings, lambda: _extent_crs84(settings))
    register_cache_headers(app, settings)
    app.register_error_handler(GenericError, _provider_error)
    database_url = settings.effective_app_database_url

    app.before_request(item_posts_by_media_type)
    register_feature_etags(app, settings)
    from ogc.feature_patch import register_feature_patch  # it imports this module's 415
    register_feature_patch(app, settings)
    app.before_request(tiles_default_to_mvt)
    app.before_request(execute_requests_only)
    app.before_request(check_items_filter)
    register_schemas(app)
    register_paging(app)
    app.after_request(processes_exception_types)
    register_process_paging(app)
    register_job_documents(app)
    register_sync_execution(app)

    @app.before_request
    def database_before_processes():
        # pygeoapi answers any failure inside a process with a 400: a database that is down
        # must be a 503, so it is checked before the process runs
        if request.method == "POST" and PROCESS_EXECUTION.match(request.path):
            with pooled_cursor(database_url) as cur:
                ping(cur.connection)

    @app.after_request
    def database_down_during_a_process(response):
        # the database went away while a process ran (after the check above): pygeoapi calls
        # every failed process a 400, but the caller did nothing wrong: 503, try again
        message = g.get("database_down")
        if message and response.status_code == 400:
            response = jsonify(code="ServiceUnavailable", description=message)
            response.status_code = 503
        elif g.get("process_forbidden") and response.status_code == 400:
            # a process asked of another municipality than the caller's (ogc/processes)
            response = jsonify(code="Forbidden", description=g.process_forbidden)
            response.status_code = 403
        elif g.get("process_fault") and response.status_code == 400:
            # a process failed on our side (ogc/processes: database()): not the caller's 400
            response = jsonify(code="NoApplicableCode", description=g.process_fault)
            response.status_code = 500
        return response

    @app.after_request
    def headers_object_again(response):
        # pygeoapi replaces a response's headers with a plain dict; Flask then fails (500)
        # to set the session cookie of a signed-in browser on it
        if isinstance(response.headers, dict):
            response.headers = Headers(response.headers)
        return response

    app.extensions["dimos.ogc_config"] = str(config_path)
