"""Building permits (οικοδομικές άδειες) issued by the building service (Υ.ΔΟΜ.)."""
from layers.model import Field, Layer, Style, Temporal

LAYER = Layer(
    id="building_permits",
    title_el="Οικοδομικές άδειες",
    title_en="Building permits",
    description_el="Οικοδομικές άδειες της Υ.ΔΟΜ.: αριθμός, ημερομηνία έκδοσης, είδος, ΚΑΕΚ, "
    "δομημένη επιφάνεια, όροφοι και σαρωμένα έγγραφα.",
    description_en="Building permits of the building service: number, issue date, type, cadastral "
    "code (ΚΑΕΚ), built area, floors and scanned documents.",
    geometry_type="Geometry",
    allowed_geometries=("POINT", "POLYGON", "MULTIPOLYGON"),
    fields=(
        Field("permit_number", "text", "Αριθμός άδειας", "Permit number", required=True),
        Field("issue_date", "date", "Ημερομηνία έκδοσης", "Issue date", required=True),
        Field("permit_type", "text", "Είδος", "Permit type", required=True,
              choices=("new_building", "addition", "demolition", "legalisation", "renovation")),
        Field("status", "text", "Κατάσταση", "Status", required=True,
              choices=("issued", "completed", "expired", "revoked")),
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
