"""OGC API Features provider: GeoJSON built by PostGIS (gis/features.py), public fields only."""
from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from datetime import date, datetime
from http import HTTPStatus
from urllib.parse import urlencode

from flask import g, has_request_context, request
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderGenericError,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
)

import layers
from gis.access_rules import principal_id
from gis.db import pooled_cursor
from gis.edit import create_feature, delete_feature, read_feature, replace_feature
from gis.errors import (
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    InvalidParameter,
    NotFound,
    PreconditionFailed,
    StorageFull,
)
from gis.feature_versions import feature_state
from gis.features import EXACT_COUNT_LIMIT, FeatureQuery, get_feature, query_page
from gis.jurisdictions import jurisdiction_ids
from gis.page_cursor import decode_cursor, encode_cursor
from gis.roles import Principal
from ogc.config import field_schema
from ogc.crs import srid_and_axes
from ogc.providers import DatabaseDown
from ogc.schemas import sortable_fields
from ogc.write_preconditions import name_state, write_precondition

LOGGER = logging.getLogger(__name__)


class ProviderConflict(ProviderGenericError):
    """pygeoapi has no 409 error; a natural key taken twice is one."""

    ogc_exception_code = "Conflict"
    http_status_code = HTTPStatus.CONFLICT


class ProviderForbidden(ProviderGenericError):
    """The principal's role does not hold in the feature's municipality."""

    ogc_exception_code = "Forbidden"
    http_status_code = HTTPStatus.FORBIDDEN


class ProviderStorageFull(ProviderGenericError):
    """The database's disk is full: the write was not stored."""

    ogc_exception_code = "InsufficientStorage"
    http_status_code = HTTPStatus.INSUFFICIENT_STORAGE


class ProviderInvalidFeature(ProviderGenericError):
    """A written feature that breaks a rule of its layer."""

    ogc_exception_code = "InvalidParameterValue"
    http_status_code = HTTPStatus.BAD_REQUEST


class ProviderPreconditionFailed(ProviderGenericError):
    """The feature changed since the version the client's If-Match names: nothing written."""

    ogc_exception_code = "PreconditionFailed"
    http_status_code = HTTPStatus.PRECONDITION_FAILED


class DimosFeatures(BaseProvider):
    """One catalogue layer; ``data`` is ``{"layer": id, "database_url": url}``."""

    def __init__(self, provider_def):
        super().__init__(provider_def)
        self.layer = layers.collection(provider_def["data"]["layer"])
        self.database_url = provider_def["data"]["database_url"]
        #: the public URL of the collection's items, where next links point (ogc/config.py)
        self.items_url = provider_def["data"].get("items_url")
        self.count_limit = int(provider_def["data"].get("count_limit", EXACT_COUNT_LIMIT))
        self._fields = field_schema(self.layer)

    def get_fields(self):
        return self._fields

    def query(self, offset=0, limit=10, resulttype="results", bbox=None, datetime_=None,
              properties=None, sortby=None, select_properties=None, skip_geometry=False,
              crs_transform_spec=None, q=None, language=None, filterq=None, **kwargs):
        out_srid, swap = self._target(crs_transform_spec)
        self._check_sortable(sortby)
        order = [(s["property"], s["order"] != "-") for s in sortby or []]
        query = FeatureQuery(
            layer=self.layer, limit=0 if resulttype == "hits" else int(limit),
            offset=int(offset), bbox=self._bbox(bbox), datetime_=_interval(datetime_),
            equals=list(properties or []), cql=filterq, sortby=order,
            properties=list(select_properties) if select_properties else None,
            skip_geometry=bool(skip_geometry), out_srid=out_srid, swap_axes=swap,
            count_limit=self.count_limit)
        with self._errors():
            query.after = _cursor_key(self.layer, order)
        with self._errors(), pooled_cursor(self.database_url) as cur:
            query.jurisdiction_id = _asked_jurisdiction(cur)
            page = query_page(cur, query)
        collection = {"type": "FeatureCollection", "features": page.features,
                      "numberReturned": len(page.features), "links": self._paging_links(
                          query, page.next_key)}
        if page.number_matched is not None:
            collection["numberMatched"] = page.number_matched
        if page.next_key is None and query.limit and (
                len(page.features) == query.limit
                or (page.number_matched or -1) > query.limit + query.offset):
            # pygeoapi adds an offset next link to a last page that is full, or that a count
            # larger than limit + offset follows (a cursor page's offset is 0): ogc/paging.py
            # takes it out again
            _end_of_items()
        return collection

    def _paging_links(self, query: FeatureQuery, next_key) -> list[dict]:
        """A next link with the cursor after this page's last feature (when more follow),
        and for an offset page a prev link by offset; pygeoapi adds the others."""
        if not has_request_context() or self.items_url is None or query.limit == 0:
            return []
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("offset", "cursor")]
        links = []
        if next_key is not None:
            links.append({"type": "application/geo+json", "rel": "next", "title": "Items (next)",
                          "href": _href(self.items_url, [
                              *kept, ("cursor", encode_cursor(query.sortby, next_key))])})
        if query.offset > 0:
            previous = max(0, query.offset - query.limit)
            links.append({"type": "application/geo+json", "rel": "prev", "title": "Items (prev)",
                          "href": _href(self.items_url, [*kept, ("offset", str(previous))])})
        return links

    def _check_sortable(self, sortby) -> None:
        """pygeoapi lets ``sortby`` name any field; only the sortables are (ogc/schemas.py)."""
        sortable = {f.name for f in sortable_fields(self.layer)}
        for name in (s["property"] for s in sortby or []):
            if name not in sortable:
                raise ProviderInvalidQueryError(
                    user_msg=f"sortby: {name!r} is not sortable in {self.layer.id}; the "
                             f"sortables: {', '.join(sorted(sortable))}")

    def get(self, identifier, crs_transform_spec=None, **kwargs):
        out_srid, swap = self._target(crs_transform_spec)
        feature_id = self._feature_id(identifier)
        with self._errors(), pooled_cursor(self.database_url) as cur:
            feature = get_feature(cur, self.layer, feature_id, out_srid, swap)
        if feature is None:
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r} in {self.layer.id}")
        return feature

    def create(self, item):
        with self._writing() as cur:
            return create_feature(cur, self.layer, read_feature(item), self._content_crs(),
                                  principal=_principal())

    def update(self, identifier, item):
        feature_id = self._feature_id(identifier)
        with self._writing() as cur:
            replace_feature(cur, self.layer, feature_id, read_feature(item), self._content_crs(),
                            principal=_principal(), precondition=write_precondition())
            name_state(feature_state(cur, self.layer, feature_id))
        return True

    def delete(self, identifier):
        feature_id = self._feature_id(identifier)
        with self._writing() as cur:
            delete_feature(cur, self.layer, feature_id, principal=_principal(),
                           precondition=write_precondition())
        return True

    @contextmanager
    def _writing(self):
        """A committing cursor whose writes the audit log credits to the signed-in principal."""
        with self._errors(ProviderInvalidFeature), \
                pooled_cursor(self.database_url, commit=True, actor=_actor(),
                              principal=_principal()) as cur:
            yield cur

    def _feature_id(self, identifier) -> int:
        try:
            return int(identifier)
        except (TypeError, ValueError):
            raise ProviderItemNotFoundError(user_msg=f"no feature {identifier!r} in {self.layer.id}")

    @staticmethod
    def _content_crs() -> tuple[int, bool]:
        """The CRS of a written feature: the request's Content-Crs header, CRS84 without one."""
        uri = request.headers.get("Content-Crs", "").strip("<> ") if has_request_context() else ""
        try:
            return srid_and_axes(uri or None)
        except ValueError as exc:
            raise ProviderInvalidQueryError(user_msg=f"Content-Crs: {exc}")

    def _target(self, crs_transform_spec) -> tuple[int, bool]:
        """SRID and axis swap of the output; pygeoapi gives no spec when it is the storage CRS."""
        if crs_transform_spec is None:
            return self.layer.srid, False
        try:
            return srid_and_axes(crs_transform_spec.target_crs_uri)
        except ValueError as exc:
            raise ProviderInvalidQueryError(user_msg=str(exc))

    @staticmethod
    def _bbox(bbox):
        """The bbox pygeoapi reprojected to the storage CRS (dimos/request_input.py checked
        what the client sent); heights of a 6-number bbox are dropped: the data is 2D."""
        if not bbox:
            return None
        if len(bbox) == 6:
            bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
        if len(bbox) != 4:
            raise ProviderInvalidQueryError(user_msg="bbox: give 4 numbers (minx,miny,maxx,maxy)")
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
            raise ProviderInvalidQueryError(user_msg="bbox: outside the collection's CRS")
        if minx > maxx or miny > maxy:
            raise ProviderInvalidQueryError(user_msg="bbox: minx must not exceed maxx, nor miny maxy")
        return (minx, miny, maxx, maxy)

    @staticmethod
    @contextmanager
    def _errors(invalid=ProviderInvalidQueryError):
        """dimos errors raised inside a provider become pygeoapi's, so it answers 4xx/503."""
        try:
            yield
        except InvalidParameter as exc:
            if exc.detail:  # what the database said stays in the log
                LOGGER.warning("%s: %s", exc.message, exc.detail)
            raise invalid(user_msg=exc.message) from None
        except NotFound as exc:
            raise ProviderItemNotFoundError(user_msg=exc.message) from None
        except Conflict as exc:
            raise ProviderConflict(user_msg=exc.message) from None
        except DatabaseUnavailable as exc:
            raise DatabaseDown(user_msg=exc.message) from None
        except StorageFull as exc:
            raise ProviderStorageFull(user_msg=exc.message) from None
        except Forbidden as exc:
            raise ProviderForbidden(user_msg=exc.message) from None
        except PreconditionFailed as exc:
            name_state(exc.state)  # the 412 names the current version
            raise ProviderPreconditionFailed(user_msg=exc.message) from None

    def __repr__(self):
        return f"<DimosFeatures {self.layer.id}>"


def _cursor_key(layer, order) -> list | None:
    """The key of the request's ``cursor`` (InvalidParameter naming it when it is not one
    this server wrote for this sort order), or None without one."""
    if not has_request_context() or "cursor" not in request.args:
        return None
    if "offset" in request.args:
        raise InvalidParameter("cursor: give a cursor (from a next link) or an offset, not both")
    return decode_cursor(request.args["cursor"], layer, order)


def _href(base: str, params: list[tuple[str, str]]) -> str:
    return f"{base}?{urlencode(params)}"


def _end_of_items() -> None:
    if has_request_context():
        g.items_end = True


def _principal() -> Principal | None:
    """Who writes: the request's principal (dimos/access.py let no anonymous write through; if
    one ever came, it acts nowhere); None outside a request, which is dimos itself."""
    if not has_request_context():
        return None
    return g.get("principal") or Principal("anonymous", "citizen")


def _asked_jurisdiction(cur) -> str | None:
    """The items' ``jurisdiction_id`` parameter: one municipality's features (pygeoapi passes
    on only the queryables, so it is read here); InvalidParameter naming the ones held."""
    asked = request.args.get("jurisdiction_id") if has_request_context() else None
    if asked is None:
        return None
    known = jurisdiction_ids(cur)
    if asked not in known:
        raise InvalidParameter(f"jurisdiction_id: {asked[:40]!r} unknown; this server holds "
                               f"{', '.join(known) or 'no municipality yet'}")
    return asked


def _actor() -> str:
    return principal_id(g.get("principal") if has_request_context() else None) or "anonymous"


def _interval(datetime_):
    """pygeoapi's datetime string (instant, 'a/b', '../b', 'a/..') as (start, end), each a
    date or a date-time; ProviderInvalidQueryError for anything else."""
    if not datetime_:
        return None
    if "/" not in datetime_:
        instant = _moment(datetime_)
        return (instant, instant)
    start, end = datetime_.split("/", 1)
    interval = (None if start in ("", "..") else _moment(start),
                None if end in ("", "..") else _moment(end))
    return None if interval == (None, None) else interval


def _moment(text: str):
    try:
        if "T" in text or " " in text:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        return date.fromisoformat(text)
    except ValueError:
        raise ProviderInvalidQueryError(
            user_msg=f"datetime: {text!r} is not an RFC 3339 date or date-time") from None
