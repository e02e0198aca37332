"""Open-air car parks with free-space counters."""
from layers.model import Field, Layer, Style, Temporal

LAYER = Layer(
    id="parking_lots",
    title_el="Χώροι στάθμευσης",
    title_en="Car parks",
    description_el="Υπαίθριοι χώροι στάθμευσης με χωρητικότητα και ελεύθερες θέσεις σε πραγματικό χρόνο.",
    description_en="Open-air car parks with capacity and live free spaces.",
    geometry_type="MultiPolygon",
    fields=(
        Field("lot_id", "text", "Κωδικός", "Car park id", required=True),
        Field("name", "text", "Όνομα", "Name", required=True),
        Field("capacity", "integer", "Χωρητικότητα", "Capacity", unit="spaces", required=True,
              minimum=0),
        Field("free_spaces", "integer", "Ελεύθερες θέσεις", "Free spaces", unit="spaces", minimum=0),
        Field("updated_at", "timestamptz", "Ενημέρωση", "Updated at"),
        Field("osm_id", "bigint", "Αναγνωριστικό OSM", "OpenStreetMap id"),
    ),
    natural_key=("lot_id",),
    temporal=Temporal("updated_at"),
    checks=(("parking_lots_free_le_capacity", "free_spaces IS NULL OR free_spaces <= capacity"),),
    style=Style(color="#08519c", fill_color="#6baed6", fill_opacity=0.5, weight=1.5),
    live=True,
    keywords=("στάθμευση", "parking"),
)
