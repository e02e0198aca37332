"""Thermal traffic cameras counting vehicles at junctions, with the flow they count now
against the usual flow for the hour and weekday."""
from layers.model import Choice, Field, Layer, Style

#: the flow now against the usual for the hour and weekday (gis/sensors.py decides)
FLOW_LEVELS = (
    Choice("below_usual", "Αραιότερη από τη συνήθη", "Lighter than usual"),
    Choice("as_usual", "Η συνήθης", "As usual"),
    Choice("above_usual", "Πυκνότερη από τη συνήθη", "Heavier than usual"),
    Choice("unknown", "Άγνωστη", "Unknown"),
)

LAYER = Layer(
    id="traffic_cameras",
    title_el="Κάμερες κυκλοφορίας",
    title_en="Traffic cameras",
    description_el="Θερμικές κάμερες μέτρησης κυκλοφορίας σε κόμβους, με τη ροή τώρα και τη "
                   "συνήθη ροή της ώρας και της ημέρας.",
    description_en="Thermal cameras counting traffic at junctions, with the flow now and the "
                   "usual flow for the hour and weekday.",
    geometry_type="Point",
    fields=(
        Field("camera_id", "text", "Κωδικός", "Camera id", required=True),
        Field("name", "text", "Θέση", "Location", required=True),
        Field("camera_type", "text", "Είδος", "Type", required=True,
              choices=(Choice("thermal", "Θερμική", "Thermal"), Choice("video", "Βίντεο", "Video"))),
        Field("direction_deg", "real", "Κατεύθυνση", "Heading", unit="°", minimum=0, maximum=360),
        Field("flow_veh_h", "integer", "Ροή τώρα", "Flow now", unit="veh/h", minimum=0),
        Field("usual_veh_h", "integer", "Συνήθης ροή", "Usual flow", unit="veh/h", minimum=0),
        Field("flow_level", "text", "Κυκλοφορία", "Traffic", choices=FLOW_LEVELS),
        Field("counted_at", "timestamptz", "Μέτρηση", "Counted at"),
    ),
    natural_key=("camera_id",),
    style=Style(color="#000000", fill_color="#fee08b", fill_opacity=1, weight=1, radius=5),
    live=True,
    keywords=("κυκλοφορία", "traffic"),
)
