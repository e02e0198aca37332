"""The Flask application factory: a table of contents of what the server serves."""
from __future__ import annotations

import errno
import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from dimos.access import register_access_rules
from dimos.health import make_health_blueprint
from dimos.imports_api import make_imports_blueprint
from dimos.layers_api import make_layers_blueprint
from dimos.limits import register_rate_limits
from dimos.live import make_live_blueprint
from dimos.logs import log_refusal
from dimos.metrics import register_metrics
from dimos.open311 import make_open311_blueprint
from dimos.own_rows import make_own_rows_blueprint
from dimos.proxies import redirect_on_the_public_base, trust_proxies
from dimos.read_routing import register_read_routing
from dimos.request_input import register_input_checks
from dimos.security_headers import register_security_headers
from dimos.sensors_api import make_sensors_blueprint
from dimos.sessions import configure_sessions, make_sessions_blueprint
from dimos.sso import register_single_sign_on
from dimos.traffic_api import make_traffic_blueprint
from gis.errors import DimosError, StorageFull
from ogc.mount import register_ogc
from photos.reencode import MAX_BYTES, MAX_PHOTOS
from settings import Settings
from web_map import make_web_map_blueprint
from web_map.charts import make_charts_blueprint
from web_map.offline import make_offline_blueprint
from web_map.plan_history import make_plan_history_blueprint
from web_map.scans import make_scans_blueprint
from web_map.search import make_search_blueprint


def create_app(settings: Settings | None = None, with_ogc: bool = True) -> Flask:
    """Build the dimos app; ``settings`` default to the environment's (read here, once).

    ``with_ogc=False`` leaves pygeoapi out: it can be configured once per process only.
    """
    settings = settings or Settings()
    app = Flask(__name__)
    app.config["JSON_SORT_KEYS"] = False
    app.json.ensure_ascii = False  # Greek stays readable in JSON
    # up to 3 photos of 10 MB and the form around them; more is refused before it is read
    app.config["MAX_CONTENT_LENGTH"] = MAX_PHOTOS * MAX_BYTES + 2 ** 20
    app.extensions["dimos.settings"] = settings
    trust_proxies(app, settings)
    redirect_on_the_public_base(app, settings)
    configure_sessions(app, settings)
    register_metrics(app, settings.replica_urls)
    register_read_routing(app, settings)  # before anything that reads the database
    register_input_checks(app)  # first: nothing below reads input unchecked
    register_access_rules(app, settings)
    register_rate_limits(app, settings)  # after access: signed-in staff are not limited
    register_blueprints(app, settings, with_ogc)
    register_error_handlers(app)
    register_security_headers(app, settings)
    return app


def register_blueprints(app: Flask, settings: Settings, with_ogc: bool) -> None:
    app.register_blueprint(make_health_blueprint(settings))
    app.register_blueprint(make_web_map_blueprint(settings))
    app.register_blueprint(make_open311_blueprint(settings))
    app.register_blueprint(make_sensors_blueprint(settings))
    app.register_blueprint(make_traffic_blueprint(settings))
    app.register_blueprint(make_live_blueprint(settings))
    app.register_blueprint(make_sessions_blueprint(settings))
    register_single_sign_on(app, settings)
    app.register_blueprint(make_own_rows_blueprint(settings))
    app.register_blueprint(make_imports_blueprint(settings))
    app.register_blueprint(make_layers_blueprint(settings))
    app.register_blueprint(make_scans_blueprint(settings))
    app.register_blueprint(make_search_blueprint(settings))
    app.register_blueprint(make_charts_blueprint(settings))
    app.register_blueprint(make_plan_history_blueprint(settings))
    app.register_blueprint(make_offline_blueprint())
    if with_ogc:
        register_ogc(app, settings)


RETRY_AFTER_S = 5
#: the kernel's ways of saying there is no room: no space, over quota, over the file size limit
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def register_error_handlers(app: Flask) -> None:
    # refusals are logged at WARNING (dimos/logs.py: log_refusal); pygeoapi puts the root
    # logger at ERROR, which would drop them
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.WARNING)

    @app.after_request
    def retry_after(response):
        # every 503 (database down) tells clients when to come back
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", str(RETRY_AFTER_S))
        return response

    @app.errorhandler(DimosError)
    def dimos_error(error: DimosError):
        log_refusal(app.logger, error)
        return jsonify(code=error.code, description=error.message), error.status

    @app.errorhandler(OSError)
    def disk_full(error: OSError):
        # an upload spooled or saved while the disk (or the process's file size limit) is full
        if error.errno not in DISK_FULL:
            raise error
        app.logger.error("no room to store an upload: %s", error.strerror)
        return jsonify(code=StorageFull.code, description="the server's disk is full: what you "
                       "sent was not stored; try again later"), StorageFull.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(code=error.name, description=error.description), error.code
