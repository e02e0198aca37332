"""The vocabulary of the layer catalogue: what a layer and its fields declare."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["text", "integer", "bigint", "real", "boolean", "date", "timestamptz", "text[]"]
GeometryType = Literal[
    "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "Geometry"
]

#: Storage CRS of every layer: Greek Grid (GGRS87 / EPSG:2100), metres, the planners' native CRS.
STORAGE_SRID = 2100

Language = Literal["el", "en"]
LANGUAGES: tuple[Language, ...] = ("el", "en")


@dataclass(frozen=True)
class Choice:
    """One value of a field's choice list: the code the database and the APIs' JSON hold, and
    the titles people read on screens, HTML pages and export labels."""

    code: str
    title_el: str
    title_en: str

    def title(self, lang: str) -> str:
        """The title in ``lang`` ("el" or "en"); ValueError for another language."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
        return self.title_el if lang == "el" else self.title_en


@dataclass(frozen=True)
class Field:
    """One attribute of a layer.

    ``private`` fields (citizens' personal data) are stored in a separate table and never reach
    a public output; ``unit`` is shown in legends and OGC schemas (m, m², %, EUR/h, s...).
    """

    name: str
    type: FieldType
    title_el: str
    title_en: str
    unit: str | None = None
    required: bool = False
    private: bool = False
    choices: tuple[Choice, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # a PostgreSQL regular expression the value must match
    unique: bool = False
    #: the collection (layer id) whose natural key this field holds: a reference between
    #: collections (OGC API Features Part 5 ``x-ogc-role: reference``)
    references: str | None = None

    def __post_init__(self) -> None:
        if self.choices is not None:
            if not all(isinstance(c, Choice) for c in self.choices):
                raise ValueError(f"field {self.name}: choices are Choice(code, title_el, title_en)")
            if len(set(self.codes)) != len(self.codes):
                raise ValueError(f"field {self.name}: duplicate choice codes")

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the choice list (what the CHECK constraint allows); () without one."""
        return tuple(c.code for c in self.choices or ())

    def choice(self, code: str) -> Choice:
        """The choice ``code``; KeyError naming the field and its codes otherwise."""
        for c in self.choices or ():
            if c.code == code:
                return c
        raise KeyError(f"field {self.name!r} has no choice {code!r}; known: {', '.join(self.codes)}")

    def choice_title(self, code: str, lang: str) -> str:
        """The title of ``code`` in ``lang`` ("el" or "en")."""
        return self.choice(code).title(lang)


@dataclass(frozen=True)
class Style:
    """Default map style of a layer (Leaflet path/circle options)."""

    color: str
    fill_color: str | None = None
    fill_opacity: float = 0.3
    weight: float = 1.5
    radius: float | None = None  # for points: circle marker radius in pixels
    dash: str | None = None


@dataclass(frozen=True)
class Temporal:
    """Which fields carry a feature's time: an instant (``start`` only) or an interval."""

    start: str
    end: str | None = None


@dataclass(frozen=True)
class Layer:
    """A declared layer: the single source of schema, OGC collection and legend."""

    id: str
    title_el: str
    title_en: str
    description_el: str
    description_en: str
    geometry_type: GeometryType
    fields: tuple[Field, ...]
    natural_key: tuple[str, ...]
    style: Style
    srid: int = STORAGE_SRID
    temporal: Temporal | None = None
    #: for geometry_type "Geometry": the simple types allowed (PostGIS GeometryType names)
    allowed_geometries: tuple[str, ...] = ()
    #: staff may create/replace/update/delete its features through the APIs
    editable: bool = False
    #: roles besides staff and admin that may create and replace its features (deleting stays
    #: with staff and admin)
    editors: tuple[str, ...] = ()
    #: readings change by the minute (sensors): clients must cache briefly
    live: bool = False
    keywords: tuple[str, ...] = field(default_factory=tuple)
    #: cross-field rules as (name, SQL boolean expression over the layer's columns)
    checks: tuple[tuple[str, str], ...] = ()
    #: a collection published from another layer's table: the rows of its one geometry type
    #: (desktop GIS types a layer from its first page, so one collection mixes no types)
    stored_in: str | None = None

    @property
    def table(self) -> str:
        """The PostGIS table of the public fields."""
        return self.stored_in or self.id

    @property
    def geometry_filter(self) -> str | None:
        """The PostGIS GeometryType() name a shared table's rows must have to be this
        collection's; None for a layer that has its table to itself."""
        return self.geometry_type.upper() if self.stored_in else None

    @property
    def private_table(self) -> str:
        """The PostGIS table of the private fields, kept apart from the public record."""
        return f"{self.id}_private"

    @property
    def public_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.private)

    @property
    def private_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.private)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"layer {self.id!r} has no field {name!r}")

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"layer {self.id}: duplicate field names")
        for key in self.natural_key:
            f = self.field(key)
            if f.private or not f.required:
                raise ValueError(f"layer {self.id}: natural key {key} must be public and required")
        if self.temporal:
            for name in (self.temporal.start, self.temporal.end):
                if name is not None:
                    self.field(name)
        if self.stored_in and self.geometry_type == "Geometry":
            raise ValueError(f"layer {self.id}: a collection of a shared table has one geometry type")
        if (self.geometry_type == "Geometry") != bool(self.allowed_geometries):
            raise ValueError(f"layer {self.id}: allowed_geometries goes with geometry_type Geometry")
