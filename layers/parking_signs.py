"""Free-space signs: one at each car park's entrance, and at the town's entrances, where drivers
read each car park's free spaces before they reach the centre."""
from layers.model import Choice, Field, Layer, Style

LAYER = Layer(
    id="parking_signs",
    title_el="Πινακίδες ελεύθερων θέσεων",
    title_en="Free-space signs",
    description_el="Πινακίδες μεταβλητών μηνυμάτων που δείχνουν τις ελεύθερες θέσεις των χώρων "
                   "στάθμευσης: στην είσοδο κάθε χώρου και στις εισόδους της πόλης.",
    description_en="Variable message signs showing the car parks' free spaces: at each car "
                   "park's entrance and at the town's entrances.",
    geometry_type="Point",
    fields=(
        Field("sign_id", "text", "Κωδικός", "Sign id", required=True),
        Field("name", "text", "Θέση", "Location", required=True),
        Field("sign_type", "text", "Είδος", "Type", required=True, choices=(
            Choice("car_park", "Στην είσοδο χώρου στάθμευσης", "At a car park's entrance"),
            Choice("entrance", "Στην είσοδο της πόλης", "At a town entrance"))),
        # a car park's sign shows that car park; a town-entrance sign shows every car park
        Field("lot_id", "text", "Χώρος στάθμευσης", "Car park", references="parking_lots"),
    ),
    natural_key=("sign_id",),
    checks=(("parking_signs_car_park_named",
             "sign_type <> 'car_park' OR lot_id IS NOT NULL"),),
    style=Style(color="#08306b", fill_color="#fdae61", fill_opacity=1, weight=1.5, radius=5),
    keywords=("στάθμευση", "parking", "πινακίδα", "sign"),
)
