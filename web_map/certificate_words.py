"""The planning certificate's own words in Greek and English, and the titles of the
catalogue's choice codes (land use, plan type, permit type, settlement category)."""
from __future__ import annotations

import layers

LANGUAGES = ("el", "en")

WORDS = {
    "el": {
        "title": "Βεβαίωση πολεοδομικής πληροφορίας",
        "reference": "Αριθμός αναφοράς",
        "answer_date": "Ισχύει για την ημερομηνία",
        "issued": "Εκδόθηκε",
        "place": "Θέση",
        "parcel": "Γήπεδο",
        "area": "εμβαδόν",
        "district": "Κοινότητα",
        "map": "Απόσπασμα χάρτη",
        "scale": "Κλίμακα",
        "north": "Β",
        "grid_north": "Βορράς κανάβου ΕΓΣΑ87 (EPSG:2100)",
        "legend": "Υπόμνημα",
        "the_parcel": "Το γήπεδο / η θέση",
        "permit_mark": "Οικοδομική άδεια",
        "zones": "Ζώνες και όροι δόμησης",
        "zone": "Ζώνη",
        "land_use": "Χρήση γης",
        "share": "Ποσοστό γηπέδου",
        "coefficient": "Σ.Δ.",
        "coverage": "Κάλυψη",
        "height": "Ύψος",
        "floors": "Όροφοι",
        "min_plot": "Αρτιότητα",
        "frontage": "Πρόσωπο",
        "plan": "Σχέδιο",
        "fek": "ΦΕΚ",
        "in_force": "Σε ισχύ",
        "approved": "έγκριση",
        "no_zone": "Καμία ζώνη σε ισχύ εδώ αυτή την ημερομηνία: η θέση είναι εκτός "
                   "ζωνών των σχεδίων που τηρεί ο δήμος.",
        "settlement": "Οικισμός",
        "in_settlement": "Εντός ορίων οικισμού",
        "out_settlement": "Εκτός ορίων οικισμού",
        "permits": "Οικοδομικές άδειες σε ακτίνα {radius} μ.",
        "no_permits": "Καμία οικοδομική άδεια σε ακτίνα {radius} μ.",
        "more_permits": "και {count} ακόμη",
        "permit_number": "Αριθμός",
        "issue_date": "Έκδοση",
        "permit_type": "Είδος",
        "address": "Διεύθυνση",
        "distance": "Απόσταση",
        "sources": "Πηγές δεδομένων",
        "sources_text": "Ζώνες, όροι δόμησης και σχέδια: ψηφιακό αρχείο πολεοδομικών σχεδίων του "
                        "δήμου· οικοδομικές άδειες: μητρώο αδειών του δήμου· όρια οικισμών και "
                        "κοινοτήτων:",
        "disclaimer": "Πληροφοριακό έγγραφο από τα ψηφιακά δεδομένα του δήμου· δεν "
                      "υποκαθιστά βεβαίωση της υπηρεσίας δόμησης.",
        "m": "μ.",
        "none": "—",
    },
    "en": {
        "title": "Planning certificate",
        "reference": "Reference number",
        "answer_date": "Valid for the date",
        "issued": "Issued",
        "place": "Place",
        "parcel": "Parcel",
        "area": "area",
        "district": "Community",
        "map": "Map extract",
        "scale": "Scale",
        "north": "N",
        "grid_north": "Grid north of GGRS87 (EPSG:2100)",
        "legend": "Legend",
        "the_parcel": "The parcel / place",
        "permit_mark": "Building permit",
        "zones": "Zones and building terms",
        "zone": "Zone",
        "land_use": "Land use",
        "share": "Share of parcel",
        "coefficient": "FAR",
        "coverage": "Coverage",
        "height": "Height",
        "floors": "Floors",
        "min_plot": "Min. plot",
        "frontage": "Frontage",
        "plan": "Plan",
        "fek": "ΦΕΚ",
        "in_force": "In force",
        "approved": "approved",
        "no_zone": "No zone in force here on this date: the place is outside the zones of "
                   "the plans the municipality keeps.",
        "settlement": "Settlement",
        "in_settlement": "Inside a settlement boundary",
        "out_settlement": "Outside settlement boundaries",
        "permits": "Building permits within {radius} m",
        "no_permits": "No building permit within {radius} m",
        "more_permits": "and {count} more",
        "permit_number": "Number",
        "issue_date": "Issued",
        "permit_type": "Type",
        "address": "Address",
        "distance": "Distance",
        "sources": "Data sources",
        "sources_text": "Zones, building terms and plans: the municipality's digital record of "
                        "its plans; building permits: the municipality's permit register; "
                        "settlement and community boundaries:",
        "disclaimer": "An informative document from the municipality's digital data; it does "
                      "not replace a certificate of the building authority.",
        "m": "m",
        "none": "—",
    },
}


def choice_title(layer_id: str, field_name: str, code: str | None, lang: str) -> str:
    """The catalogue's title of a choice code in ``lang`` (layers.model.Field.choice_title)."""
    if code is None:
        return WORDS[lang]["none"]
    return layers.get(layer_id).field(field_name).choice_title(code, lang)
