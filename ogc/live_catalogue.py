"""Published layers live in every worker, no restart: pygeoapi's collections follow the
catalogue.

pygeoapi reads its configuration once, into the one ``API`` object its Flask views share; each
request reads the collections from ``api.config["resources"]`` (and the HTML pages from
``api.tpl_config``, the OpenAPI document from ``api.openapi``). When the catalogue version
moves (gis/catalogue.py), this worker builds the resources and the OpenAPI document again from
the catalogue and puts them in that object's place.
"""
from __future__ import annotations

import logging
import threading
import time
from copy import deepcopy

from flask import Flask

from gis import catalogue
from gis.db import pooled_cursor
from ogc.config import build_config
from ogc.openapi import offline_document
from settings import Settings

log = logging.getLogger("dimos.catalogue")


def reconfigure(settings: Settings, extent_crs84: list[float]) -> None:
    """Point pygeoapi's API object at the collections of the catalogue as this process has it."""
    import pygeoapi.flask_app as flask_app
    from pygeoapi.openapi import get_oas

    api = flask_app.api_
    config = build_config(settings, settings.effective_public_url, extent_crs84)
    resources = config["resources"]
    config["server"] = api.config["server"]  # pygeoapi filled in defaults there
    openapi = offline_document(get_oas(config))
    api.config["resources"] = resources
    api.tpl_config["resources"] = deepcopy(resources)
    api.openapi = openapi


def register_live_catalogue(app: Flask, settings: Settings, extent_crs84) -> None:
    """Before each request (first of all its checks, which look layers up), at most once a
    second: the catalogue as the database has it. A request that comes while another thread
    rebuilds the collections waits for them, so no worker answers from the old ones after it
    has seen the new version."""
    url = settings.effective_app_database_url
    rebuilding = threading.Lock()

    def follow_the_catalogue():
        if not catalogue.refresh_due() and not rebuilding.locked():
            return
        with rebuilding:
            if not catalogue.refresh_due():
                return  # another thread read it meanwhile, and rebuilt what changed
            try:
                with pooled_cursor(url) as cur:
                    changed = catalogue.refresh(cur)
            except Exception:  # the database is down: the request meets it (503), not this
                log.debug("catalogue not read", exc_info=True)
                return
            if changed:
                started = time.monotonic()
                reconfigure(settings, extent_crs84())
                log.info("catalogue changed: collections rebuilt in %.0f ms",
                         (time.monotonic() - started) * 1000)

    app.before_request_funcs.setdefault(None, []).insert(0, follow_the_catalogue)
