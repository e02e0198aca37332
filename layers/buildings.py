"""Building footprints: the basemap's buildings and the plots permits are issued on."""
from layers.model import Field, Layer, Style

LAYER = Layer(
    id="buildings",
    title_el="Κτίρια",
    title_en="Buildings",
    description_el="Περιγράμματα κτιρίων (OpenStreetMap και συμπληρωματικά).",
    description_en="Building footprints (OpenStreetMap and supplementary).",
    geometry_type="MultiPolygon",
    fields=(
        Field("building_id", "text", "Κωδικός", "Building id", required=True),
        Field("osm_id", "bigint", "Αναγνωριστικό OSM", "OpenStreetMap id"),
        Field("building_type", "text", "Είδος", "Building type"),
        Field("levels", "integer", "Όροφοι", "Levels", minimum=0, maximum=60),
        Field("name", "text", "Όνομα", "Name"),
        Field("address", "text", "Διεύθυνση", "Address"),
    ),
    natural_key=("building_id",),
    style=Style(color="#969696", fill_color="#d9d9d9", fill_opacity=0.7, weight=0.5),
    keywords=("κτίριο", "building"),
)
