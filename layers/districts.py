"""Districts: the municipality's communities (κοινότητες) within its municipal units."""
from layers.model import Field, Layer, Style

LAYER = Layer(
    id="districts",
    title_el="Κοινότητες",
    title_en="Districts (communities)",
    description_el="Δημοτικές και τοπικές κοινότητες του δήμου με δημοτική ενότητα και πληθυσμό 2021.",
    description_en="The municipality's communities with their municipal unit and 2021 population.",
    geometry_type="MultiPolygon",
    fields=(
        Field("district_code", "text", "Κωδικός ΕΛ.ΣΤΑΤ.", "ELSTAT code", required=True),
        Field("name", "text", "Όνομα", "Name", required=True),
        Field("municipal_unit_code", "text", "Κωδικός δημοτικής ενότητας", "Municipal unit code"),
        Field("municipal_unit_name", "text", "Δημοτική ενότητα", "Municipal unit"),
        Field("population_2021", "integer", "Πληθυσμός 2021", "Population 2021", minimum=0),
    ),
    natural_key=("district_code",),
    style=Style(color="#252525", fill_color=None, fill_opacity=0.0, weight=1.5, dash="2 4"),
    keywords=("κοινότητα", "district"),
)
