"""What the demo generator needs to know of a municipality: its codes, files, seat and scale.

The generator was written for Rethymno and sized by its population (57,216 residents in
2021); another municipality gets the counts that scale with people (requests, permits, bays,
access points, cameras) in proportion to its own population, everything else from its own
files.
"""
from __future__ import annotations

from dataclasses import dataclass

#: the population the generator's counts were sized for (Rethymno, census 2021)
REFERENCE_POPULATION = 57_216


@dataclass(frozen=True)
class Municipality:
    id: str
    name_el: str
    name_en: str
    #: Kallikratis ministry code (KWD_YPES in the boundaries file)
    ypes_code: str
    #: ELSTAT code (the settlements' and census' municipality code)
    elstat_code: str
    #: permanent residents, census 2021
    population_2021: int
    osm_file: str  # relative to data/sources
    settlements_file: str  # relative to data/sources
    #: the seat's ELSTAT settlement name and its community's code (the town's routing)
    town_name: str
    town_community: str
    #: the old town (lon, lat): the historic centre zone, bays nearest it
    old_town: tuple[float, float]
    seed: int
    #: genitives in plan titles: the town's ("ΓΠΣ Ρεθύμνου") and the municipality's
    town_genitive: str
    municipality_genitive: str
    #: ΦΕΚ of the four plans (ΓΠΣ 2004, its 2015 amendment, settlements 1987, ΖΟΕ 1995)
    plan_feks: tuple[str, str, str, str]
    #: the town plan's zones outside the historic centre, green and seafront (Voronoi seeds):
    #: one per ~0.26 km² of town
    town_zones: int
    #: communities whose Voronoi centroid lies south of this (EPSG:2100 northing) are uplands
    uplands_below_y: float
    water_utility: str
    #: ΚΑΕΚ's first two digits (prefecture)
    kaek_prefecture: str
    bay_prefix: str
    #: requests filed in the town: above its share of residents (more street furniture)
    town_request_share: float
    #: the real car parks taken from OSM
    car_parks: int
    #: the streets laid along the old town's land walls, from one end to the other (the
    #: historic centre is the land between them and the sea, to the north); none: a circle
    old_town_walls: tuple[str, ...] = ()

    @property
    def scale(self) -> float:
        return self.population_2021 / REFERENCE_POPULATION

    def scaled(self, count: int) -> int:
        """``count`` (sized for Rethymno) at this municipality's population."""
        return round(count * self.scale)


RETHYMNO = Municipality(
    id="rethymno", name_el="Δήμος Ρεθύμνης", name_en="Municipality of Rethymno",
    ypes_code="9318", elstat_code="7301", population_2021=57_216,
    osm_file="osm/rethymno.osm", settlements_file="settlements/rethymno_settlements_2021.geojson",
    town_name="Ρέθυμνον", town_community="73010101", old_town=(24.4735, 35.3695), seed=7301,
    town_genitive="Ρεθύμνου", municipality_genitive="Ρεθύμνης",
    plan_feks=("ΦΕΚ 561/Δ/2004", "ΦΕΚ 112/ΑΑΠ/2015", "ΦΕΚ 181/Δ/1987", "ΦΕΚ 45/Δ/1995"),
    town_zones=14, uplands_below_y=3904000, water_utility="ΔΕΥΑ Ρεθύμνου", kaek_prefecture="49",
    bay_prefix="RB", town_request_share=0.72, car_parks=7,
    # the old town lies between the Fortezza and Dimakopoulou and Gerakari streets, the line
    # of the Venetian walls (1540-1570) whose one gate left standing, the Porta Guora, is where
    # they meet
    old_town_walls=("Ι. Δημακοπούλου", "Γερακάρη"),
)

CHANIA = Municipality(
    id="chania", name_el="Δήμος Χανίων", name_en="Municipality of Chania",
    ypes_code="9325", elstat_code="7401", population_2021=111_375,
    osm_file="osm/chania.osm", settlements_file="settlements/chania_settlements_2021.geojson",
    # the Venetian harbour's old town (Topanas, Splantzia)
    town_name="Χανία", town_community="74010101", old_town=(24.0185, 35.5160), seed=7401,
    town_genitive="Χανίων", municipality_genitive="Χανίων",
    plan_feks=("ΦΕΚ 698/Δ/2004", "ΦΕΚ 207/ΑΑΠ/2015", "ΦΕΚ 349/Δ/1987", "ΦΕΚ 77/Δ/1995"),
    # its town is 9.4 km² (Rethymno's 3.7 km²)
    town_zones=36,
    # the foothills of the White Mountains (Theriso, Malaxa, Kampoi)
    uplands_below_y=3921000, water_utility="ΔΕΥΑ Χανίων",
    # synthetic, like the rest of the ΚΑΕΚ (not checked against the Cadastre's codes)
    kaek_prefecture="48",
    # the town holds 49% of the residents; requests above that, as Rethymno's (62.5% → 72%)
    bay_prefix="CB", town_request_share=0.57, car_parks=8,
)

#: the municipalities the demo loads, in this order
MUNICIPALITIES = (RETHYMNO, CHANIA)
