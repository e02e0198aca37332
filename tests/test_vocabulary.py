"""The vocabulary of the catalogue: every choice list has Greek and English titles, and the codes
stay what the database's CHECK constraints hold."""
from __future__ import annotations

import re

import pytest

import layers
from gis import db
from layers.model import Choice, Field

GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")


def _choice_fields() -> list[tuple[layers.Layer, Field]]:
    return [(layer, f) for layer in layers.CATALOGUE for f in layer.fields if f.choices]


def test_every_choice_of_every_list_has_a_greek_and_an_english_title():
    fields = _choice_fields()
    assert len(fields) >= 10  # land uses, plan types, permits x2, bays x2, requests, ...
    for layer, f in fields:
        for c in f.choices:
            where = f"{layer.id}.{f.name}={c.code}"
            assert GREEK.search(c.title_el), where
            assert c.title_en.strip() and not GREEK.search(c.title_en.replace(c.code, "")), where
            assert c.title_el != c.code and c.title_en != c.code, where


def test_a_code_is_titled_in_the_readers_language():
    land_use = layers.get("zoning").field("land_use")
    assert land_use.choice_title("historic_centre", "el") == "Ιστορικό κέντρο / παραδοσιακός οικισμός"
    assert land_use.choice_title("general_residential", "el") == "Γενική κατοικία"
    assert layers.get("settlements").field("category").choice_title("town_plan", "el") == "Εντός σχεδίου"
    assert layers.get("building_permits").field("permit_type").choice_title("legalisation", "en") == \
        "Legalisation"
    with pytest.raises(KeyError, match="land_use.*no choice 'castle'"):
        land_use.choice_title("castle", "el")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        land_use.choice_title("green", "fr")


def test_a_field_takes_only_titled_choices_with_distinct_codes():
    with pytest.raises(ValueError, match="Choice"):
        Field("x", "text", "Χ", "X", choices=("a", "b"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duplicate"):
        Field("x", "text", "Χ", "X", choices=(Choice("a", "Α", "A"), Choice("a", "Α2", "A2")))


def test_the_vocabulary_lists_every_collection_field_and_code():
    vocabulary = layers.vocabulary()
    for layer in layers.COLLECTIONS:
        for f in layer.fields:
            if f.choices:
                assert set(vocabulary[layer.id][f.name]) == set(f.codes)
                assert vocabulary[layer.id][f.name][f.codes[0]] == {
                    "el": f.choices[0].title_el, "en": f.choices[0].title_en}


def test_the_database_checks_the_codes_not_the_titles(migrated_url):
    conn = db.connect(migrated_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE contype = 'c' AND conname LIKE %s", ("%\\_choice",))
            checks = dict(cur.fetchall())
    finally:
        conn.close()
    for layer, f in _choice_fields():
        definition = checks[f"{layer.table}_{f.name}_choice"]
        allowed = set(re.findall(r"'((?:[^']|'')*)'", definition))
        assert allowed == set(f.codes), f"{layer.id}.{f.name}: {definition}"
