"""Zoning: the zones of a plan version with their building terms, each with its dates in force."""
from layers.model import Choice, Field, Layer, Style, Temporal

#: the land-use categories of ΠΔ 59/2018 (Government Gazette 114/Α/2018) our zones use
LAND_USES = (
    Choice("general_residential", "Γενική κατοικία", "General residential"),
    Choice("pure_residential", "Αμιγής κατοικία", "Pure residential"),
    Choice("town_centre", "Πολεοδομικό κέντρο", "Town centre"),
    Choice("historic_centre", "Ιστορικό κέντρο / παραδοσιακός οικισμός",
           "Historic centre / traditional settlement"),
    Choice("tourism", "Τουρισμός – αναψυχή", "Tourism and recreation"),
    Choice("settlement", "Οικισμός", "Settlement"),
    Choice("green", "Κοινόχρηστο πράσινο", "Public green space"),
    Choice("agriculture", "Γεωργική γη", "Agricultural land"),
    Choice("protected", "Περιοχή προστασίας της φύσης", "Nature protection area"),
)

LAYER = Layer(
    id="zoning",
    title_el="Ζώνες χρήσεων γης και όροι δόμησης",
    title_en="Zoning and building terms",
    description_el="Ζώνες κάθε έκδοσης σχεδίου με χρήση γης, συντελεστή δόμησης, κάλυψη, ύψος, "
    "αρτιότητα και πρόσωπο, και την περίοδο ισχύος τους.",
    description_en="Zones of each plan version with land use, building coefficient, coverage, height, "
    "minimum plot area and frontage, and the period they were in force.",
    geometry_type="MultiPolygon",
    fields=(
        Field("zone_id", "text", "Κωδικός ζώνης", "Zone id", required=True),
        Field("plan_id", "text", "Σχέδιο", "Plan", required=True, references="plans"),
        Field("zone_code", "text", "Ζώνη", "Zone code", required=True),
        Field("land_use", "text", "Χρήση γης", "Land use", required=True, choices=LAND_USES),
        Field("building_coefficient", "real", "Συντελεστής δόμησης", "Building coefficient",
              minimum=0, maximum=10),
        Field("coverage_pct", "real", "Κάλυψη", "Maximum plot coverage", unit="%", minimum=0,
              maximum=100),
        Field("max_height_m", "real", "Μέγιστο ύψος", "Maximum height", unit="m", minimum=0,
              maximum=200),
        Field("max_floors", "integer", "Μέγιστοι όροφοι", "Maximum floors", minimum=0, maximum=60),
        Field("min_plot_area_m2", "real", "Αρτιότητα", "Minimum plot area", unit="m²", minimum=0),
        Field("min_frontage_m", "real", "Ελάχιστο πρόσωπο", "Minimum frontage", unit="m",
              minimum=0),
        Field("valid_from", "date", "Ισχύει από", "In force from", required=True),
        Field("valid_to", "date", "Ισχύει έως", "In force until"),
    ),
    natural_key=("zone_id",),
    temporal=Temporal("valid_from", "valid_to"),
    checks=(("zoning_validity", "valid_to IS NULL OR valid_to > valid_from"),),
    style=Style(color="#b15928", fill_color="#fdbf6f", fill_opacity=0.35, weight=1),
    editable=True,
    editors=("planner",),  # the planning office keeps its own records
    keywords=("ζώνη", "όροι δόμησης", "σ.δ.", "zoning", "building terms"),
)
