"""Building permits (οικοδομικές άδειες) issued by the building service (Υ.ΔΟΜ.).

One table holds both kinds (a permit number is unique across them, and the planning report
sees both), published as two collections of one geometry type each: permits on a parcel or
footprint (MultiPolygon) and permits located only by an address or house point (Point).
"""
from dataclasses import replace

from layers.model import Choice, Field, Layer, Style, Temporal

LAYER = Layer(
    id="building_permits",
    title_el="Οικοδομικές άδειες",
    title_en="Building permits",
    description_el="Οικοδομικές άδειες της Υ.ΔΟΜ.: αριθμός, ημερομηνία έκδοσης, είδος, ΚΑΕΚ, "
    "δομημένη επιφάνεια, όροφοι και σαρωμένα έγγραφα.",
    description_en="Building permits of the building service: number, issue date, type, cadastral "
    "code (ΚΑΕΚ), built area, floors and scanned documents.",
    geometry_type="Geometry",
    # polygons are stored as MultiPolygons (migration 0019), so each collection has one type
    allowed_geometries=("POINT", "MULTIPOLYGON"),
    fields=(
        Field("permit_number", "text", "Αριθμός άδειας", "Permit number", required=True),
        Field("issue_date", "date", "Ημερομηνία έκδοσης", "Issue date", required=True),
        Field("permit_type", "text", "Είδος", "Permit type", required=True,
              choices=(
                  Choice("new_building", "Νέα οικοδομή", "New building"),
                  Choice("addition", "Προσθήκη", "Addition"),
                  Choice("demolition", "Κατεδάφιση", "Demolition"),
                  Choice("legalisation", "Νομιμοποίηση", "Legalisation"),
                  Choice("renovation", "Επισκευή – ανακαίνιση", "Renovation"),
              )),
        Field("status", "text", "Κατάσταση", "Status", required=True,
              choices=(
                  Choice("issued", "Εκδόθηκε", "Issued"),
                  Choice("completed", "Ολοκληρώθηκε", "Completed"),
                  Choice("expired", "Έληξε", "Expired"),
                  Choice("revoked", "Ανακλήθηκε", "Revoked"),
              )),
        Field("kaek", "text", "ΚΑΕΚ", "Cadastral parcel code (ΚΑΕΚ)", pattern=r"^[0-9]{12}$"),
        Field("address", "text", "Διεύθυνση", "Address"),
        Field("built_area_m2", "real", "Δομημένη επιφάνεια", "Built area", unit="m²", minimum=0),
        Field("floors", "integer", "Όροφοι", "Floors", minimum=0, maximum=60),
        Field("document_urls", "text[]", "Σαρωμένα έγγραφα", "Scanned documents"),
    ),
    natural_key=("permit_number",),
    temporal=Temporal("issue_date"),
    style=Style(color="#e31a1c", fill_color="#fb9a99", fill_opacity=0.6, weight=1, radius=4),
    editable=True,
    editors=("planner",),  # the planning office keeps its own records
    keywords=("άδεια", "ΚΑΕΚ", "permit"),
)

#: what OGC API Features, the tiles and the map publish: one geometry type per collection
COLLECTIONS = (
    replace(LAYER, geometry_type="MultiPolygon", allowed_geometries=(), stored_in=LAYER.id,
            title_el="Οικοδομικές άδειες (οικόπεδα)", title_en="Building permits (parcels)",
            description_el=LAYER.description_el + " Άδειες με το περίγραμμα του οικοπέδου ή "
            "του κτιρίου.",
            description_en=LAYER.description_en + " Permits drawn as their parcel or footprint."),
    replace(LAYER, id="building_permit_sites", geometry_type="Point", allowed_geometries=(),
            stored_in=LAYER.id,
            title_el="Οικοδομικές άδειες (σημεία)", title_en="Building permits (sites)",
            description_el=LAYER.description_el + " Άδειες με μόνο ένα σημείο (διεύθυνση ή "
            "σπίτι οικισμού).",
            description_en=LAYER.description_en + " Permits located only by a point (an "
            "address or a village house)."),
)
