"""OGC API Processes of dimos: thin pygeoapi processors over the queries in ``gis/``.

Inputs arrive as JSON; this module turns them into checked values (geometries in the storage
CRS, dates, bounded numbers) and dimos errors into pygeoapi's, so bad input is a 400 that
names the input, never a traceback.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from datetime import date

import shapely
from flask import g, has_request_context
from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis.db import pooled_cursor
from gis.errors import DatabaseUnavailable, Forbidden, InvalidParameter
from gis.geometry import transformed
from gis.local_time import local_today
from layers.model import STORAGE_SRID
from ogc.config import CRS_URIS
from ogc.principal import current_principal

#: Input CRSs a caller may name (URI or short form) and their SRIDs.
INPUT_CRS = {**{uri: (4326 if key == "CRS84" else key) for key, uri in CRS_URIS.items()},
             "CRS84": 4326, "EPSG:2100": 2100, "EPSG:4326": 4326}


class InputError(ProcessorExecuteError):
    """Bad process input: pygeoapi answers 400 InvalidParameterValue with this message."""

    http_status_code = 400
    ogc_exception_code = "InvalidParameterValue"


def input_srid(value) -> int:
    """The SRID of the optional ``crs`` input (CRS84 when absent)."""
    if value is None:
        return 4326
    if value not in INPUT_CRS:
        raise InvalidParameter(f"crs: {value!r} is not supported; use one of "
                               f"{', '.join(CRS_URIS.values())}")
    return INPUT_CRS[value]


def read_geometry(name: str, value, srid: int, kinds: tuple[str, ...]) -> BaseGeometry:
    """The GeoJSON geometry input ``name`` as shapely, checked for type, validity and range."""
    if not isinstance(value, dict) or "type" not in value:
        raise InvalidParameter(f"{name}: give a GeoJSON geometry object ({' or '.join(kinds)})")
    if value["type"] not in kinds:
        raise InvalidParameter(f"{name}: a GeoJSON {' or '.join(kinds)}, not {value['type']}")
    try:
        geometry = shape(value)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise InvalidParameter(f"{name}: malformed GeoJSON {value['type']}: its coordinates "
                               f"must be [x, y] positions ({type(exc).__name__})") from None
    if geometry.is_empty:
        raise InvalidParameter(f"{name}: the geometry is empty")
    if not geometry.is_valid:
        raise InvalidParameter(f"{name}: invalid geometry ({shapely.is_valid_reason(geometry)})")
    if srid == 4326:
        minx, miny, maxx, maxy = geometry.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise InvalidParameter(f"{name}: coordinates outside longitude −180…180 / latitude "
                                   "−90…90 (CRS84 is longitude, latitude; say crs for EPSG:2100)")
    return geometry


def to_storage(cur, geometry: BaseGeometry, srid: int) -> BaseGeometry:
    """``geometry`` reprojected by PostGIS to the storage CRS (as the features are)."""
    if srid == STORAGE_SRID:
        return geometry
    return transformed(cur, geometry, srid, STORAGE_SRID)


def read_date(name: str, value) -> date:
    """An ISO date input (the municipalities' today when absent)."""
    if value is None:
        return local_today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidParameter(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def read_number(name: str, value, default: float, low: float, high: float) -> float:
    """A number input within [low, high]."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameter(f"{name}: a number, not {value!r}")
    if not low <= value <= high:
        raise InvalidParameter(f"{name}: {value} outside {low:g}–{high:g}")
    return value


def read_count(value, default: int, maximum: int, name: str = "count") -> int:
    """The ``count`` input (or another named ``name``): a whole number in 1–maximum."""
    count = read_number(name, value, default, 1, maximum)
    if int(count) != count:
        raise InvalidParameter(f"{name}: a whole number, not {count}")
    return int(count)


def read_location(cur, data: dict) -> BaseGeometry:
    """The required ``location`` input (a GeoJSON Point, in ``crs``) in the storage CRS."""
    if "location" not in data:
        raise InvalidParameter("location: required (a GeoJSON Point)")
    srid = input_srid(data.get("crs"))
    return to_storage(cur, read_geometry("location", data["location"], srid, ("Point",)), srid)


class ProcessFault(ProcessorExecuteError):
    """A process failed on our side: pygeoapi logs it (with its cause) at ERROR."""

    http_status_code = 500
    ogc_exception_code = "NoApplicableCode"


FAULT_MESSAGE = "the process failed on the server's side (it is logged); try again later"


@contextmanager
def database(url: str, principal=None):
    """A read-only cursor acting in ``principal``'s municipalities (row-level security: a
    private table shows it no other's rows); dimos errors become pygeoapi's (400 for input, message kept), and
    anything else a fault whose text stays in the log: pygeoapi would show the caller
    str(exception) — SQL, Python's words — in a 400."""
    try:
        with pooled_cursor(url, principal=principal) as cur:
            yield cur
    except InvalidParameter as exc:
        raise InputError(user_msg=exc.message) from None
    except Forbidden as exc:
        if has_request_context():
            g.process_forbidden = exc.message  # pygeoapi will say 400: ogc/mount.py makes it 403
        raise ProcessorExecuteError(user_msg=exc.message) from None
    except DatabaseUnavailable as exc:
        if has_request_context():
            g.database_down = exc.message  # pygeoapi will say 400: ogc/mount.py makes it 503
        raise ProcessorExecuteError(user_msg=exc.message) from None
    except ProcessorExecuteError:
        raise
    except Exception as exc:
        if has_request_context():
            g.process_fault = FAULT_MESSAGE  # pygeoapi will say 400: ogc/mount.py makes it 500
        raise ProcessFault(user_msg=FAULT_MESSAGE) from exc


def check_inputs(data: dict, known: set[str]) -> None:
    """InvalidParameter for an input the process does not take (a typo must not be ignored)."""
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidParameter(f"unknown input(s) {', '.join(unknown)}; this process takes "
                               f"{', '.join(sorted(known))}")


#: the members of a qualified input value besides ``value`` (18-062r2, qualifiedInputValue.yaml)
QUALIFIERS = {"mediaType", "encoding", "schema"}


def unqualified(data: dict) -> dict:
    """The inputs with each qualified value (``{"value": …, "mediaType": …}``, how Processes
    1.0 writes an object inline, and how the official test suite sends one) replaced by its
    value; an input that only looks like one (other members beside) is left as it came."""
    def value(item):
        if isinstance(item, dict) and "value" in item and set(item) - {"value"} <= QUALIFIERS:
            return item["value"]
        return [value(entry) for entry in item] if isinstance(item, list) else item
    return {name: value(item) for name, item in data.items()}


class DimosProcessor(BaseProcessor):
    """A process of dimos: its ``METADATA`` (pygeoapi's process description, whose ``inputs``
    are the only ones it takes) and ``run(cur, data)`` on a read-only cursor, which returns
    (media type, result). Inputs are checked and errors translated here, once for all."""

    METADATA: dict = {}

    def __init__(self, processor_def):
        # a copy each: pygeoapi's OpenAPI writer pops the outputs' contentMediaType from the
        # metadata it is handed, which every later description then lacked
        super().__init__(processor_def, copy.deepcopy(self.METADATA))
        self.database_url = processor_def["database_url"]

    def execute(self, data, outputs=None):
        with database(self.database_url, current_principal()) as cur:
            check_inputs(data, set(self.METADATA["inputs"]))
            return self.run(cur, unqualified(data))

    def run(self, cur, data: dict) -> tuple[str, dict]:
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"
