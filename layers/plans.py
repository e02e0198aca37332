"""Plans: a General Urban Plan, ΣΧΟΟΑΠ, ΖΟΕ or town plan, or an amendment of one."""
from layers.model import Choice, Field, Layer, Style, Temporal

LAYER = Layer(
    id="plans",
    title_el="Πολεοδομικά σχέδια",
    title_en="Urban plans",
    description_el="Εγκεκριμένα σχέδια (ΓΠΣ, ΣΧΟΟΑΠ, ΖΟΕ, ρυμοτομικά) και τροποποιήσεις τους, "
    "με ΦΕΚ και περίοδο ισχύος.",
    description_en="Approved plans (General Urban Plan, ΣΧΟΟΑΠ, ΖΟΕ, town plans) and their amendments, "
    "with their Government Gazette (ΦΕΚ) issue and period in force.",
    geometry_type="MultiPolygon",
    fields=(
        Field("plan_id", "text", "Κωδικός σχεδίου", "Plan id", required=True),
        Field("plan_type", "text", "Είδος σχεδίου", "Plan type", required=True,
              choices=(
                  Choice("ΓΠΣ", "Γενικό Πολεοδομικό Σχέδιο (ΓΠΣ)", "General Urban Plan (ΓΠΣ)"),
                  Choice("ΣΧΟΟΑΠ", "Σχέδιο Χωρικής και Οικιστικής Οργάνωσης Ανοικτής Πόλης "
                         "(ΣΧΟΟΑΠ)", "Spatial and Residential Organisation Plan of an Open City "
                         "(ΣΧΟΟΑΠ)"),
                  Choice("ΖΟΕ", "Ζώνη Οικιστικού Ελέγχου (ΖΟΕ)", "Zone of Residential Control "
                         "(ΖΟΕ)"),
                  Choice("Ρυμοτομικό", "Ρυμοτομικό σχέδιο", "Town plan"),
              )),
        Field("title", "text", "Τίτλος", "Title", required=True),
        Field("fek", "text", "ΦΕΚ", "Government Gazette issue (ΦΕΚ)", required=True,
              pattern=r"^ΦΕΚ [0-9]+/[Α-Ω]+/[0-9]{4}$"),
        Field("approval_date", "date", "Ημερομηνία έγκρισης", "Approval date", required=True),
        Field("valid_from", "date", "Ισχύει από", "In force from", required=True),
        Field("valid_to", "date", "Ισχύει έως", "In force until"),
        Field("amends", "text", "Τροποποιεί το σχέδιο", "Amends plan", references="plans"),
    ),
    natural_key=("plan_id",),
    temporal=Temporal("valid_from", "valid_to"),
    checks=(("plans_validity", "valid_to IS NULL OR valid_to > valid_from"),),
    style=Style(color="#6a3d9a", fill_color=None, fill_opacity=0.0, weight=2, dash="6 4"),
    keywords=("ΓΠΣ", "ΦΕΚ", "plan", "zoning"),
)
