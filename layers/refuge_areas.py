"""Civil protection refuge areas (χώροι καταφυγής) and camp sites."""
from layers.model import Choice, Field, Layer, Style

LAYER = Layer(
    id="refuge_areas",
    title_el="Χώροι καταφυγής",
    title_en="Refuge areas",
    description_el="Χώροι καταφυγής και καταυλισμού της πολιτικής προστασίας με χωρητικότητα.",
    description_en="Civil protection refuge areas and camp sites with their capacity.",
    geometry_type="Point",
    fields=(
        Field("refuge_id", "text", "Κωδικός", "Refuge id", required=True),
        Field("name", "text", "Όνομα", "Name", required=True),
        Field("area_type", "text", "Είδος", "Type", required=True,
              choices=(
                  Choice("open_space", "Ανοιχτός χώρος", "Open space"),
                  Choice("camp_site", "Χώρος καταυλισμού", "Camp site"),
                  Choice("school_yard", "Προαύλιο σχολείου", "School yard"),
                  Choice("sports_ground", "Αθλητικός χώρος", "Sports ground"),
              )),
        Field("capacity_persons", "integer", "Χωρητικότητα", "Capacity", unit="persons", minimum=0),
        Field("district_code", "text", "Κοινότητα", "District", references="districts"),
    ),
    natural_key=("refuge_id",),
    style=Style(color="#006d2c", fill_color="#41ab5d", fill_opacity=0.9, weight=1, radius=6),
    keywords=("πολιτική προστασία", "refuge", "civil protection"),
)
