"""The map's search box: public names, addresses, permit numbers and ΚΑΕΚ matched in PostGIS.

Both sides go through dimos_search_key() (migration 0020_search: no accents, Greek
transliterated, Greeklish spellings folded), so `Arkadiou`, `ARKADIOY` and `αρκαδιου` find
Αρκαδίου. Each name column has a GIN trigram index on that key: a prefix (LIKE 'key%') or a
close word (pg_trgm's <%, word similarity) is found in the live table, so a permit written a
second ago is found now. Codes (permit numbers, ΚΑΕΚ) are found by their beginning only, from a
B-tree. Only public layers are searched (no citizens' requests).
"""
from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from gis.errors import InvalidParameter

MAX_QUERY_CHARS = 200
MAX_LIMIT = 50
DEFAULT_LIMIT = 10
LANGUAGES = ("el", "en")


@dataclass(frozen=True)
class Source:
    """One searched column: what kind of result it gives and where it lives."""

    kind: str
    table: str
    column: str
    #: a street is many road segments: one result per name and municipality
    grouped: bool = False
    #: shown after the label (a permit's address)
    detail: str | None = None
    #: a code (permit number, ΚΑΕΚ): found by its beginning only, never by likeness (one
    #: character off is another permit or parcel); a B-tree serves it (migration 0031)
    code: bool = False


SOURCES = (
    Source("street", "roads", "name", grouped=True),
    Source("address", "buildings", "address"),
    Source("place", "buildings", "name"),
    Source("permit", "building_permits", "permit_number", detail="address", code=True),
    Source("parcel", "building_permits", "kaek", detail="address", code=True),
    Source("settlement", "settlements", "name"),
    Source("community", "districts", "name"),
    Source("refuge_area", "refuge_areas", "name"),
    Source("car_park", "parking_lots", "name"),
    Source("bus_stop", "bus_stops", "name"),
)

#: the label of a result in each language; {} is the matched text
LABELS = {
    "permit": {"el": "Άδεια {}", "en": "Permit {}"},
    "parcel": {"el": "ΚΑΕΚ {}", "en": "Parcel (ΚΑΕΚ) {}"},
}


def check_search(q: str | None, lang: str | None, limit: int | None) -> tuple[str, str, int]:
    """The query text, language and limit, or InvalidParameter naming the one at fault."""
    if q is None or not q.strip():
        raise InvalidParameter("q: required, the text to search for")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidParameter(f"q: {len(q)} characters; at most {MAX_QUERY_CHARS}")
    lang = lang or "el"
    if lang not in LANGUAGES:
        raise InvalidParameter(f"lang: {lang[:20]!r}; one of {', '.join(LANGUAGES)}")
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParameter(f"limit: {limit} outside 1…{MAX_LIMIT}")
    return q, lang, limit


def search_key(cur, text: str) -> str:
    """``text`` as the searches compare it (dimos_search_key in PostgreSQL)."""
    cur.execute("SELECT dimos_search_key(%s)", (text,))
    return cur.fetchone()[0]


def _branch(source: Source) -> sql.Composed:
    """One source's matching rows: kind, collection, id, municipality, text, detail, geometry,
    key. The WHERE is the indexed expression itself, so the trigram index serves it."""
    key = sql.SQL("dimos_search_key({})").format(sql.Identifier(source.column))
    collection = (sql.SQL("CASE GeometryType(geom) WHEN 'POINT' THEN 'building_permit_sites' "
                          "ELSE 'building_permits' END")
                  if source.table == "building_permits" else sql.Literal(source.table))
    detail = sql.Identifier(source.detail) if source.detail else sql.SQL("NULL::text")
    if source.grouped:
        columns = sql.SQL("min(id), jurisdiction_id, {col}, NULL::text, ST_Collect(geom)").format(
            col=sql.Identifier(source.column))
        group = sql.SQL(" GROUP BY jurisdiction_id, {}").format(sql.Identifier(source.column))
    else:
        columns = sql.SQL("id, jurisdiction_id, {col}, {detail}, geom").format(
            col=sql.Identifier(source.column), detail=detail)
        group = sql.SQL("")
    alike = sql.SQL("") if source.code else sql.SQL(" OR %(key)s <%% {}").format(key)
    return sql.SQL("""
        SELECT {kind} AS kind, {collection} AS collection, {columns}, {key} AS key
        FROM {table}
        WHERE {key} LIKE %(prefix)s{alike}{group}""").format(
        kind=sql.Literal(source.kind), collection=collection if not source.grouped
        else sql.Literal(source.table), columns=columns, key=key,
        table=sql.Identifier(source.table), alike=alike, group=group)


def _query() -> sql.Composed:
    """Every source's matches ranked: the caller's municipality first, then the exact key, a
    prefix of the whole text, a prefix of one of its words, then word similarity."""
    found = sql.SQL(" UNION ALL ").join(_branch(source) for source in SOURCES)
    return sql.SQL("""
        WITH found (kind, collection, feature_id, jurisdiction_id, matched, detail, geom, key)
          AS ({found})
        SELECT json_build_object(
            'type', 'Feature',
            'geometry', ST_AsGeoJSON(ST_Transform(
                ST_ClosestPoint(f.geom, ST_Centroid(f.geom)), 4326), 7)::json,
            'bbox', CASE WHEN GeometryType(f.geom) <> 'POINT' THEN
                (SELECT json_build_array(round(ST_XMin(b)::numeric, 7), round(ST_YMin(b)::numeric, 7),
                                         round(ST_XMax(b)::numeric, 7), round(ST_YMax(b)::numeric, 7))
                 FROM ST_Transform(ST_Envelope(f.geom), 4326) AS b) END,
            'properties', json_build_object(
                'kind', f.kind, 'collection', f.collection, 'feature_id', f.feature_id,
                'jurisdiction_id', f.jurisdiction_id,
                'municipality', CASE WHEN %(lang)s = 'en' THEN j.name_en ELSE j.name_el END,
                'matched', f.matched, 'detail', f.detail))
        FROM found AS f JOIN jurisdictions AS j ON j.id = f.jurisdiction_id
        ORDER BY (f.jurisdiction_id = %(home)s) IS TRUE DESC,
                 CASE WHEN f.key = %(key)s THEN 3 WHEN f.key LIKE %(prefix)s THEN 2
                      WHEN f.key LIKE %(word_prefix)s THEN 1 ELSE 0 END DESC,
                 word_similarity(%(key)s, f.key) DESC, length(f.matched), f.matched, f.feature_id
        LIMIT %(limit)s""").format(found=found)


def _label(properties: dict, lang: str) -> str:
    label = LABELS.get(properties["kind"], {}).get(lang, "{}").format(properties["matched"])
    return f"{label} · {properties['detail']}" if properties["detail"] else label


def search(cur, q: str, lang: str = "el", limit: int = DEFAULT_LIMIT,
           home: str | None = None) -> dict:
    """A GeoJSON FeatureCollection (CRS84) of what ``q`` names, best first: each feature a
    point to fly to (on the feature, near its middle), a ``bbox`` for lines and areas, and
    ``kind`` and ``label`` (in ``lang``). ``home``: the municipality whose results come first."""
    q, lang, limit = check_search(q, lang, limit)
    key = search_key(cur, q)
    features = []
    if key:  # only punctuation: nothing to look for
        cur.execute(_query(), {"key": key, "prefix": key + "%", "word_prefix": f"% {key}%",
                               "lang": lang, "home": home, "limit": int(limit)})
        features = [row[0] for row in cur.fetchall()]
    for feature in features:
        if feature["bbox"] is None:
            del feature["bbox"]
        feature["properties"]["label"] = _label(feature["properties"], lang)
    return {"type": "FeatureCollection", "features": features}
