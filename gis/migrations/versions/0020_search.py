"""Search: unaccent and pg_trgm, dimos_search_key() and a trigram index on each searched column

dimos_search_key() turns a name into the one Latin spelling both sides of a search compare:
accents off (unaccent, its dictionary named so the function may be IMMUTABLE), Greek
transliterated letter by letter (σ and ς both s), lower case, then the Greeklish variants
folded together (ch → x as in Chania/Xania, ph → f, oy → ou, y → i, w → o), and anything but
letters and digits a single space. `Αρκαδίου`, `ARKADIOY` and `Arkadiou` all become `arkadiou`.
Each searched column gets a GIN trigram index on that key, so LIKE 'prefix%' and word
similarity (<%) find a row the moment it is written (no copy to refresh).

Revision ID: 0020_search
Revises: 0019_permit_geometry_types
Create Date: 2026-12-02 15:30:00
"""
from alembic import op

revision = '0020_search'
down_revision = '0019_permit_geometry_types'
branch_labels = None
depends_on = None

#: (table, column) searched by gis/search.py; each index is named <table>_<column>_search_idx
#: (gis/migrate.py leaves that suffix out of the catalogue comparison)
SEARCHED = (
    ("roads", "name"), ("buildings", "name"), ("buildings", "address"),
    ("building_permits", "permit_number"), ("building_permits", "kaek"),
    ("settlements", "name"), ("districts", "name"), ("refuge_areas", "name"),
    ("parking_lots", "name"), ("bus_stops", "name"),
)

#: one Latin letter per Greek one (ξ and χ both x: Greeklish writes either as x; ks folds too)
GREEK = "ΑΒΓΔΕΖΗΙΚΛΜΝΞΟΠΡΣΤΥΦΧΩαβγδεζηικλμνξοπρσςτυφχω"
LATIN = "avgdeziiklmnxoprstyfxoavgdeziiklmnxoprsstyfxo"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    # the letters that become two (θ ψ) first, then one translate for the rest; lower()
    # after it, for Latin only (Greek capitals are in the translate: lower() of Greek
    # depends on the server's locale)
    op.execute(f"""
        CREATE FUNCTION dimos_search_key(value text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$
          SELECT btrim(regexp_replace(
            replace(replace(replace(replace(replace(replace(
              lower(translate(
                replace(replace(replace(replace(
                  public.unaccent('public.unaccent'::regdictionary, value),
                  'Θ', 'th'), 'θ', 'th'), 'Ψ', 'ps'), 'ψ', 'ps'),
                '{GREEK}', '{LATIN}')),
              'ch', 'x'), 'ph', 'f'), 'oy', 'ou'), 'y', 'i'), 'w', 'o'), 'ks', 'x'),
            '[^a-z0-9]+', ' ', 'g'))
        $$""")
    op.execute("COMMENT ON FUNCTION dimos_search_key(text) IS "
               "'a name in the one Latin spelling searches compare (see migration 0020)'")
    for table, column in SEARCHED:
        op.execute(f"CREATE INDEX {table}_{column}_search_idx ON {table} "
                   f"USING gin (dimos_search_key({column}) gin_trgm_ops)")


def downgrade() -> None:
    for table, column in SEARCHED:
        op.execute(f"DROP INDEX {table}_{column}_search_idx")
    op.execute("DROP FUNCTION dimos_search_key(text)")
    # the extensions stay: other objects of the server's may use them
