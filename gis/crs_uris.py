"""The CRSs dimos serves and reads, by the URIs the OGC APIs name them with."""
from __future__ import annotations

CRS_URIS = {
    "CRS84": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    4326: "http://www.opengis.net/def/crs/EPSG/0/4326",
    3857: "http://www.opengis.net/def/crs/EPSG/0/3857",
    2100: "http://www.opengis.net/def/crs/EPSG/0/2100",
}
