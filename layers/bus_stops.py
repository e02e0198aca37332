"""Bus stops; the smart ones show real-time arrivals."""
from layers.model import Field, Layer, Style

LAYER = Layer(
    id="bus_stops",
    title_el="Στάσεις λεωφορείων",
    title_en="Bus stops",
    description_el="Στάσεις αστικών λεωφορείων· οι έξυπνες δείχνουν αφίξεις σε πραγματικό χρόνο.",
    description_en="Town bus stops; smart stops show real-time arrivals.",
    geometry_type="Point",
    fields=(
        Field("stop_id", "text", "Κωδικός", "Stop id", required=True),
        Field("name", "text", "Όνομα", "Name"),
        Field("smart", "boolean", "Έξυπνη στάση", "Smart stop", required=True),
        Field("osm_id", "bigint", "Αναγνωριστικό OSM", "OpenStreetMap id"),
    ),
    natural_key=("stop_id",),
    style=Style(color="#e7298a", fill_color="#e7298a", fill_opacity=0.9, weight=1, radius=4),
    keywords=("λεωφορείο", "bus"),
)
