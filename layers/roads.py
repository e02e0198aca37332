"""The road network, noded for routing: pgRouting's source/target, lengths and costs."""
from layers.model import Field, Layer, Style

LAYER = Layer(
    id="roads",
    title_el="Οδικό δίκτυο",
    title_en="Road network",
    description_el="Οδικό δίκτυο με τοπολογία δρομολόγησης (pgRouting): κατηγορία, μονόδρομοι, "
    "όριο ταχύτητας, μήκος και χρόνος διέλευσης.",
    description_en="Road network with routing topology (pgRouting): class, one-ways, speed limit, "
    "length and travel time.",
    geometry_type="LineString",
    fields=(
        Field("road_id", "text", "Κωδικός τμήματος", "Segment id", required=True),
        Field("osm_id", "bigint", "Αναγνωριστικό OSM", "OpenStreetMap way id"),
        Field("name", "text", "Όνομα", "Name"),
        Field("road_class", "text", "Κατηγορία", "Road class", required=True),
        Field("oneway", "boolean", "Μονόδρομος", "One-way", required=True),
        Field("maxspeed_kmh", "integer", "Όριο ταχύτητας", "Speed limit", unit="km/h", minimum=0),
        Field("length_m", "real", "Μήκος", "Length", unit="m", minimum=0),
        Field("cost_s", "real", "Χρόνος διέλευσης", "Travel time", unit="s"),
        Field("reverse_cost_s", "real", "Χρόνος αντίθετης κατεύθυνσης",
              "Travel time against the direction (negative: not allowed)", unit="s"),
        Field("source", "bigint", "Αρχικός κόμβος", "Source vertex"),
        Field("target", "bigint", "Τελικός κόμβος", "Target vertex"),
    ),
    natural_key=("road_id",),
    style=Style(color="#737373", weight=2),
    keywords=("δρόμος", "road", "pgRouting"),
)
