"""Controlled parking bays with in-ground occupancy sensors (FIWARE ParkingSpot states)."""
from layers.model import Choice, Field, Layer, Style, Temporal

LAYER = Layer(
    id="parking_bays",
    title_el="Θέσεις ελεγχόμενης στάθμευσης",
    title_en="Controlled parking bays",
    description_el="Θέσεις στάθμευσης με αισθητήρα κατάληψης: ζώνη, τέλος, είδος θέσης και "
    "τρέχουσα κατάσταση (ελεύθερη, κατειλημμένη, κλειστή, άγνωστη).",
    description_en="Parking bays with an occupancy sensor: zone, tariff, bay type and live state "
    "(free, occupied, closed, unknown).",
    geometry_type="Polygon",
    fields=(
        Field("bay_id", "text", "Κωδικός θέσης", "Bay id", required=True),
        Field("sensor_id", "text", "Αισθητήρας", "Sensor id", unique=True),
        Field("street", "text", "Οδός", "Street"),
        Field("parking_zone", "text", "Ζώνη στάθμευσης", "Parking zone"),
        Field("tariff_eur_h", "real", "Τέλος", "Tariff", unit="EUR/h", minimum=0),
        Field("bay_type", "text", "Είδος θέσης", "Bay type", required=True,
              choices=(
                  Choice("regular", "Κανονική", "Regular"),
                  Choice("disabled", "Θέση ΑμεΑ", "Disabled parking"),
                  Choice("loading", "Φορτοεκφόρτωση", "Loading"),
                  Choice("ev", "Φόρτιση ηλεκτρικών οχημάτων", "EV charging"),
              )),
        Field("occupancy_state", "text", "Κατάσταση", "Occupancy state", required=True,
              choices=(
                  Choice("free", "Ελεύθερη", "Free"),
                  Choice("occupied", "Κατειλημμένη", "Occupied"),
                  Choice("closed", "Κλειστή", "Closed"),
                  Choice("unknown", "Άγνωστη", "Unknown"),
              )),
        Field("state_since", "timestamptz", "Από", "State since"),
        Field("battery_low", "boolean", "Χαμηλή μπαταρία", "Low battery"),
    ),
    natural_key=("bay_id",),
    temporal=Temporal("state_since"),
    style=Style(color="#1f78b4", fill_color="#a6cee3", fill_opacity=0.8, weight=1),
    editable=True,
    live=True,
    keywords=("στάθμευση", "parking", "ParkingSpot"),
)
