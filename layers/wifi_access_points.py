"""Municipal WiFi access points with their live status."""
from layers.model import Choice, Field, Layer, Style, Temporal

LAYER = Layer(
    id="wifi_access_points",
    title_el="Σημεία δημοτικού WiFi",
    title_en="Municipal WiFi access points",
    description_el="Σημεία πρόσβασης του δημοτικού WiFi με κατάσταση, συνδεδεμένους χρήστες και "
    "μηνιαίους χρήστες.",
    description_en="Access points of the municipal WiFi with status, connected clients and monthly users.",
    geometry_type="Point",
    fields=(
        Field("ap_id", "text", "Κωδικός", "Access point id", required=True),
        Field("name", "text", "Όνομα", "Name", required=True),
        Field("status", "text", "Κατάσταση", "Status", required=True,
              choices=(
                  Choice("up", "Σε λειτουργία", "Working"),
                  Choice("down", "Εκτός λειτουργίας", "Out of service"),
                  Choice("unknown", "Άγνωστη", "Unknown"),
              )),
        Field("clients_now", "integer", "Συνδεδεμένοι τώρα", "Clients now", minimum=0),
        Field("monthly_users", "integer", "Χρήστες μήνα", "Monthly users", minimum=0),
        Field("status_since", "timestamptz", "Από", "Status since"),
    ),
    natural_key=("ap_id",),
    temporal=Temporal("status_since"),
    style=Style(color="#6a51a3", fill_color="#9e9ac8", fill_opacity=0.9, weight=1, radius=5),
    editable=True,
    live=True,
    keywords=("WiFi", "hotspot"),
)
