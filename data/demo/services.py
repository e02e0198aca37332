"""The demo municipalities' request categories (Open311 services): names, groups, SLA, department.

Greek names, weights and description templates of the generated requests are in
``data/demo/requests.py``; this adds what the Open311 server publishes and routes by.
"""
from __future__ import annotations

from dataclasses import dataclass

TECHNICAL = "Διεύθυνση Τεχνικών Υπηρεσιών"
CLEANING = "Διεύθυνση Καθαριότητας"
GREEN = "Τμήμα Πρασίνου"
#: stands for the municipality's own water utility (its ΔΕΥΑ)
WATER = "ΔΕΥΑ"
POLICE = "Δημοτική Αστυνομία"
#: rubbish outside the town is collected by the rural cleaning unit
RURAL_CLEANING = "Τμήμα Καθαριότητας Υπαίθρου"

SIZE = {"variable": True, "code": "size", "datatype": "singlevaluelist", "required": False,
        "datatype_description": None, "order": 1, "description": "Μέγεθος / Size",
        "values": [{"key": "small", "name": "Μικρή / Small"},
                   {"key": "large", "name": "Μεγάλη / Large"}]}
POLE = {"variable": True, "code": "pole_number", "datatype": "string", "required": False,
        "datatype_description": "Ο αριθμός στον στύλο / the number on the pole", "order": 1,
        "description": "Αριθμός στύλου / Pole number", "values": []}

# code → (English name, group, keywords, SLA hours, department, attributes)
DETAILS = {
    "pothole": ("Pothole", "Οδοποιία / Roads", ["δρόμος", "άσφαλτος", "road"], 120, TECHNICAL,
                [SIZE]),
    "street_light": ("Street light out", "Φωτισμός / Lighting", ["φως", "λάμπα", "light"], 72,
                     TECHNICAL, [POLE]),
    "rubbish": ("Rubbish collection", "Καθαριότητα / Cleaning", ["κάδος", "σκουπίδια", "bin"],
                48, CLEANING, []),
    "graffiti": ("Graffiti", "Καθαριότητα / Cleaning", ["τοίχος", "wall"], 240, CLEANING, []),
    "tree": ("Tree pruning or fallen tree", "Πράσινο / Green", ["κλαδί", "δέντρο", "tree"], 96,
             GREEN, []),
    "water_leak": ("Water leak", "Ύδρευση / Water", ["νερό", "σωλήνας", "leak"], 24, WATER, []),
    "illegal_parking": ("Illegal parking", "Στάθμευση / Parking", ["αυτοκίνητο", "car"], 4,
                        POLICE, []),
    "stray_animals": ("Stray animals", "Ζώα / Animals", ["σκύλος", "dog"], 168, POLICE, []),
    "sidewalk": ("Damaged pavement", "Οδοποιία / Roads", ["πεζοδρόμιο", "πλάκα", "pavement"],
                 240, TECHNICAL, []),
}


@dataclass(frozen=True)
class Services:
    """One municipality's services and routing: its water utility, and its town's community
    (rubbish there goes to the town's cleaning department, elsewhere to the rural unit)."""

    town_name: str
    town_district: str
    water_utility: str

    def department(self, code: str) -> str:
        department = DETAILS[code][4]
        return self.water_utility if department == WATER else department

    def build(self, names_el: dict[str, str]) -> tuple[list[dict], list[dict]]:
        """The services and the routing rules (category × area → department)."""
        services = [{"service_code": code, "name_el": names_el[code], "name_en": name_en,
                     "description": f"{names_el[code]} / {name_en}", "group_name": group,
                     "keywords": keywords, "sla_hours": sla, "department": self.department(code),
                     "attributes": attributes}
                    for code, (name_en, group, keywords, sla, _, attributes) in DETAILS.items()]
        routing = [{"service_code": "rubbish", "district_code": None, "settlement_code": None,
                    "department": RURAL_CLEANING},
                   {"service_code": "rubbish", "district_code": self.town_district,
                    "settlement_code": None, "department": CLEANING}]
        return services, routing

    def department_for(self, code: str, district_code: str) -> str:
        """The routing: rural rubbish to the rural unit, everything else by category."""
        if code == "rubbish" and district_code != self.town_district:
            return RURAL_CLEANING
        return self.department(code)
