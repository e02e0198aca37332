"""Settlement boundaries (όρια οικισμών) with their ELSTAT code, category and population."""
from layers.model import Choice, Field, Layer, Style

LAYER = Layer(
    id="settlements",
    title_el="Όρια οικισμών",
    title_en="Settlement boundaries",
    description_el="Όρια οικισμών (προϋφιστάμενοι του 1923, κάτω των 2.000 κατοίκων, με σχέδιο "
    "πόλης) με κωδικό ΕΛ.ΣΤΑΤ. και πληθυσμό 2021.",
    description_en="Settlement boundaries (pre-1923, under 2,000 residents, with a town plan) with "
    "their ELSTAT code and 2021 population.",
    geometry_type="MultiPolygon",
    fields=(
        Field("settlement_code", "text", "Κωδικός ΕΛ.ΣΤΑΤ.", "ELSTAT code", required=True,
              pattern=r"^[0-9]{10}$"),
        Field("name", "text", "Όνομα", "Name", required=True),
        Field("category", "text", "Κατηγορία", "Category", required=True,
              choices=(
                  Choice("town_plan", "Εντός σχεδίου", "Within a town plan"),
                  Choice("pre_1923", "Προϋφιστάμενος του 1923", "Existing before 1923"),
                  Choice("under_2000", "Οικισμός κάτω των 2.000 κατοίκων",
                         "Under 2,000 residents"),
              )),
        Field("fek", "text", "ΦΕΚ οριοθέτησης", "Delimitation ΦΕΚ",
              pattern=r"^ΦΕΚ [0-9]+/[Α-Ω]+/[0-9]{4}$"),
        Field("population_2021", "integer", "Πληθυσμός 2021", "Population 2021", minimum=0),
        Field("community_code", "text", "Κωδικός κοινότητας", "Community code"),
        Field("community_name", "text", "Κοινότητα", "Community"),
        Field("municipal_unit_name", "text", "Δημοτική ενότητα", "Municipal unit"),
    ),
    natural_key=("settlement_code",),
    style=Style(color="#33a02c", fill_color="#b2df8a", fill_opacity=0.25, weight=1.5),
    editable=True,
    editors=("planner",),  # the planning office keeps its own records
    keywords=("οικισμός", "settlement"),
)
