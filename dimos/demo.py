"""Loading a demo municipality: build it from data/ and write it in one transaction.

The demo goes only into a municipality that holds no features: `make run` runs it on every
start, and must never replace what a municipality has filed, imported or edited since. Replacing
stored features with the demo is a reset, asked for explicitly (`dimos demo load --reset`).
"""
from __future__ import annotations

from dataclasses import dataclass

import layers
from gis.db import act_as, connect
from gis.demo_history import add_demo_history, add_demo_payments
from gis.errors import Conflict
from gis.load import (
    count_features,
    count_imports,
    forget_imports,
    lock_municipality_load,
    replace_layers,
    replace_services,
    upsert_jurisdiction,
)
from gis.routing import build_topology
from gis.sensors import register_sensors

CATALOGUE_LAYERS = [layer.id for layer in layers.CATALOGUE]


class MunicipalityNotEmpty(Conflict):
    """The demo would replace features a municipality holds, and no reset was asked for."""


@dataclass(frozen=True)
class Holdings:
    """What a reset would delete: features per layer, and the records of imports into them."""

    features: dict[str, int]
    imports: int

    @property
    def empty(self) -> bool:
        return not self.features and not self.imports

    def describe(self) -> str:
        parts = [f"{count:,} {layer_id}" for layer_id, count in self.features.items()]
        if self.imports:
            parts.append(f"{self.imports:,} import records")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class LoadResult:
    jurisdiction_id: str
    counts: dict[str, int]
    road_vertices: int
    replaced: Holdings


def holdings(url: str, jurisdiction_id: str) -> Holdings:
    """What one municipality holds in the catalogue's layers."""
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            return Holdings(count_features(cur, jurisdiction_id, CATALOGUE_LAYERS),
                            count_imports(cur, jurisdiction_id, CATALOGUE_LAYERS))
    finally:
        conn.close()


def load_demo(url: str, demo, *, reset: bool = False) -> LoadResult:
    """Load ``demo`` (a ``data.demo.DemoData``) into its municipality.

    Into a municipality holding features only with ``reset``: then every feature of the demo's
    layers, its services and the records of imports into those layers are replaced. All or
    nothing, one transaction: it upserts the municipality, writes every layer, rebuilds the
    road topology, the sensor registry, a week of the sensors' hourly history and the
    occupied bays' paid sessions (gis/demo_history.py: as of the load). Loading the same demo
    twice gives the same features.
    """
    jurisdiction_id = demo.jurisdiction["id"]
    order = [layer_id for layer_id in CATALOGUE_LAYERS if layer_id in demo.layers]
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            lock_municipality_load(cur, jurisdiction_id)
            held = Holdings(count_features(cur, jurisdiction_id, order),
                            count_imports(cur, jurisdiction_id, order))
            if not held.empty and not reset:
                raise MunicipalityNotEmpty(
                    f"municipality {jurisdiction_id!r} already holds {held.describe()}: the demo "
                    f"was not loaded (`dimos demo load --reset` replaces them)")
            # a bulk load is one recorded event, not 20,000 audit rows
            act_as(cur, None, audit=False)
            upsert_jurisdiction(cur, demo.jurisdiction)
            counts = replace_layers(cur, jurisdiction_id, demo.layers, order)
            forget_imports(cur, jurisdiction_id, order)
            replace_services(cur, jurisdiction_id, demo.services, demo.service_routing)
            vertices = build_topology(cur, jurisdiction_id)
            register_sensors(cur, jurisdiction_id)
            add_demo_history(cur, jurisdiction_id)
            add_demo_payments(cur, jurisdiction_id)
    finally:
        conn.close()
    return LoadResult(jurisdiction_id, counts, vertices, held)
