"""OpenStreetMap extracts (.osm, .osm.pbf) read through GDAL's OSM driver into GeoDataFrames.

GDAL puts the tags it has no column for into ``other_tags``, an hstore literal
(``"k"=>"v","k2"=>"v2"``); :func:`parse_other_tags` turns it into a dict. Every reader takes a
path and returns a GeoDataFrame in EPSG:4326 with the tags it needs as columns.
"""
from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

ROUTABLE_HIGHWAYS = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
    "living_street", "service", "motorway_link", "trunk_link", "primary_link", "secondary_link",
    "tertiary_link", "pedestrian", "track",
)
# Default speed (km/h) per class where the way has no maxspeed tag: Greek urban limits.
DEFAULT_SPEED_KMH = {
    "motorway": 110, "trunk": 90, "primary": 50, "secondary": 50, "tertiary": 40,
    "unclassified": 40, "residential": 30, "living_street": 20, "service": 20, "pedestrian": 10,
    "track": 20, "primary_link": 40, "secondary_link": 40, "tertiary_link": 30,
    "motorway_link": 60, "trunk_link": 60,
}
WIFI_VALUES = {"wlan", "wifi", "yes", "public", "free"}

_HSTORE_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def parse_other_tags(value) -> dict[str, str]:
    """The tags of GDAL's ``other_tags`` hstore literal as a dict (empty for None/NaN)."""
    if not isinstance(value, str):
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"') for k, v in _HSTORE_PAIR.findall(value)}


def read_osm_layer(path: str | Path, layer: str) -> gpd.GeoDataFrame:
    """One of GDAL's OSM layers (points, lines, multipolygons) with a ``tags`` dict column."""
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    frame["tags"] = frame["other_tags"].map(parse_other_tags)
    if frame.crs is None:
        frame = frame.set_crs(4326)
    return frame


def _tag(frame: gpd.GeoDataFrame, key: str) -> pd.Series:
    return frame["tags"].map(lambda tags: tags.get(key))


def _osm_id(frame: gpd.GeoDataFrame) -> pd.Series:
    """Numeric OSM id: a way's id for closed ways, the relation's or node's otherwise."""
    ids = frame["osm_id"] if "osm_id" in frame else pd.Series(None, index=frame.index)
    if "osm_way_id" in frame:
        ids = ids.fillna(frame["osm_way_id"])
    return pd.to_numeric(ids, errors="coerce").astype("Int64")


def _area_kind(polygons: gpd.GeoDataFrame) -> pd.Series:
    """'way' or 'relation': what an area of the multipolygons layer was mapped as."""
    return polygons["osm_way_id"].notna().map({True: "way", False: "relation"})


def _speed(value, highway: str) -> int:
    match = re.match(r"\s*(\d+)", value) if isinstance(value, str) else None
    return int(match.group(1)) if match else DEFAULT_SPEED_KMH.get(highway, 30)


def read_osm_roads(path: str | Path) -> gpd.GeoDataFrame:
    """Drivable and pedestrian streets: osm_id, name, name_en, highway, oneway, maxspeed_kmh.

    ``oneway`` is True for ways tagged oneway=yes/1/true and for roundabouts; ways tagged
    oneway=-1 are reversed so that every one-way runs along its geometry.
    """
    lines = read_osm_layer(path, "lines")
    lines = lines[lines["highway"].isin(ROUTABLE_HIGHWAYS)].copy()
    oneway_tag = _tag(lines, "oneway").fillna("")
    junction = _tag(lines, "junction").fillna("")
    reverse = oneway_tag == "-1"
    lines.loc[reverse, "geometry"] = lines.loc[reverse, "geometry"].reverse()
    roads = gpd.GeoDataFrame({
        "osm_id": _osm_id(lines),
        "name": lines["name"],
        "name_en": _tag(lines, "name:en"),
        "highway": lines["highway"],
        "oneway": oneway_tag.isin(["yes", "1", "true", "-1"]) | (junction == "roundabout"),
        "maxspeed_kmh": [_speed(v, h) for v, h in zip(_tag(lines, "maxspeed"), lines["highway"])],
    }, geometry=lines.geometry.values, crs=lines.crs)
    return roads.reset_index(drop=True)


def read_osm_buildings(path: str | Path) -> gpd.GeoDataFrame:
    """Building footprints: osm_id, kind, building, levels, name, street, housenumber."""
    polygons = read_osm_layer(path, "multipolygons")
    polygons = polygons[polygons["building"].notna()].copy()
    levels = pd.to_numeric(_tag(polygons, "building:levels"), errors="coerce").round()
    return gpd.GeoDataFrame({
        "osm_id": _osm_id(polygons),
        "kind": _area_kind(polygons),
        "building": polygons["building"],
        "levels": levels.astype("Int64"),
        "name": polygons["name"],
        "street": _tag(polygons, "addr:street"),
        "housenumber": _tag(polygons, "addr:housenumber"),
    }, geometry=polygons.geometry.values, crs=polygons.crs).reset_index(drop=True)


def read_osm_bus_stops(path: str | Path) -> gpd.GeoDataFrame:
    """Bus stops (nodes tagged highway=bus_stop): osm_id, name."""
    points = read_osm_layer(path, "points")
    stops = points[points["highway"] == "bus_stop"]
    return gpd.GeoDataFrame({"osm_id": _osm_id(stops), "name": stops["name"]},
                            geometry=stops.geometry.values, crs=stops.crs).reset_index(drop=True)


def read_osm_parking(path: str | Path) -> gpd.GeoDataFrame:
    """Car parks mapped as areas (amenity=parking): osm_id, name, capacity, access, fee."""
    polygons = read_osm_layer(path, "multipolygons")
    lots = polygons[polygons["amenity"] == "parking"].copy()
    return gpd.GeoDataFrame({
        "osm_id": _osm_id(lots),
        "name": lots["name"],
        "capacity": pd.to_numeric(_tag(lots, "capacity"), errors="coerce").astype("Int64"),
        "access": _tag(lots, "access"),
        "fee": _tag(lots, "fee"),
    }, geometry=lots.geometry.values, crs=lots.crs).reset_index(drop=True)


def read_osm_wifi_places(path: str | Path) -> gpd.GeoDataFrame:
    """Places offering WiFi (internet_access=wlan...), as points: osm_id, name, kind."""
    frames = []
    for layer in ("points", "multipolygons"):
        features = read_osm_layer(path, layer)
        access = _tag(features, "internet_access").fillna("").str.lower()
        wifi = features[access.isin(WIFI_VALUES)]
        frames.append(gpd.GeoDataFrame({
            "osm_id": _osm_id(wifi),
            "name": wifi["name"],
            "kind": _tag(wifi, "amenity").fillna(_tag(wifi, "tourism")),
        }, geometry=wifi.geometry.representative_point().values, crs=wifi.crs))
    return pd.concat(frames, ignore_index=True)


def read_osm_open_spaces(path: str | Path) -> gpd.GeoDataFrame:
    """Parks, squares, pitches and school grounds: osm_id, name, kind (leisure/amenity)."""
    polygons = read_osm_layer(path, "multipolygons")
    kind = polygons["leisure"].where(polygons["leisure"].isin(["park", "pitch", "playground",
                                                               "stadium"]))
    kind = kind.fillna(polygons["amenity"].where(polygons["amenity"] == "school"))
    kind = kind.fillna(polygons["place"].where(polygons["place"] == "square"))
    spaces = polygons[kind.notna()]
    return gpd.GeoDataFrame({"osm_id": _osm_id(spaces), "name": spaces["name"],
                             "kind": kind[kind.notna()]},
                            geometry=spaces.geometry.values, crs=spaces.crs).reset_index(drop=True)
