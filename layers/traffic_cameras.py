"""Thermal traffic cameras counting vehicles at junctions."""
from layers.model import Choice, Field, Layer, Style

LAYER = Layer(
    id="traffic_cameras",
    title_el="Κάμερες κυκλοφορίας",
    title_en="Traffic cameras",
    description_el="Θερμικές κάμερες μέτρησης κυκλοφορίας σε κόμβους.",
    description_en="Thermal cameras counting traffic at junctions.",
    geometry_type="Point",
    fields=(
        Field("camera_id", "text", "Κωδικός", "Camera id", required=True),
        Field("name", "text", "Θέση", "Location", required=True),
        Field("camera_type", "text", "Είδος", "Type", required=True,
              choices=(Choice("thermal", "Θερμική", "Thermal"), Choice("video", "Βίντεο", "Video"))),
        Field("direction_deg", "real", "Κατεύθυνση", "Heading", unit="°", minimum=0, maximum=360),
    ),
    natural_key=("camera_id",),
    style=Style(color="#000000", fill_color="#fee08b", fill_opacity=1, weight=1, radius=5),
    keywords=("κυκλοφορία", "traffic"),
)
