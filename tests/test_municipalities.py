"""Several municipalities in one installation: accounts and tokens belong to theirs, and a role
holds there only (issue 17's first part: memberships, and the OGC API's feature writes).

Two towns side by side in a database of this module's own: Rethymno and Chania, each a square
of 10 km in EPSG:2100. The expected status of every write is computed from the principals'
memberships (``EXPECTED``), never read off a response.
"""
from __future__ import annotations

import itertools
import json

import pytest
import requests
from pyproj import Transformer

from gis import db, migrate
from tests.helpers import add_municipality, dimos, rows, serving

SQUARES = {"rethymno": (560_000, 3_910_000), "chania": (500_000, 3_920_000)}
TO_CRS84 = Transformer.from_crs(2100, 4326, always_xy=True)
#: who belongs where (None: an admin made without --jurisdiction: every municipality)
MEMBERS = {"staff-chania": ["chania"], "staff-rethymno": ["rethymno"],
           "staff-both": ["chania", "rethymno"], "admin-all": None}
ROLES = {"staff-chania": "staff", "staff-rethymno": "staff", "staff-both": "staff",
         "admin-all": "admin"}


def expected(name: str, *towns: str) -> int:
    """What the rules say: a write succeeds when every municipality it touches is the
    principal's (an admin of the installation: any), else 403."""
    held = MEMBERS[name]
    return 0 if held is None or all(t in held for t in towns) else 403


def _town(url: str, jurisdiction: str, name_en: str) -> None:
    add_municipality(url, jurisdiction, name_en, *SQUARES[jurisdiction], size_m=10_000)


def point_in(jurisdiction: str, offset: int = 0) -> list[float]:
    """A CRS84 point inside the town's square."""
    x, y = SQUARES[jurisdiction]
    return list(TO_CRS84.transform(x + 5_000 + offset, y + 5_000))


@pytest.fixture(scope="module")
def towns(make_database) -> str:
    url = make_database("dimos_towns")
    migrate.upgrade(url)
    _town(url, "rethymno", "Rethymno")
    _town(url, "chania", "Chania")
    return url


@pytest.fixture(scope="module")
def tokens(towns) -> dict[str, str]:
    made = {}
    for name, held in MEMBERS.items():
        extra = [a for j in (held or ()) for a in ("--jurisdiction", j)]
        done = dimos("token", "create", name, "--role", ROLES[name], *extra, url=towns)
        assert done.returncode == 0, done.stderr
        made[name] = done.stdout.strip()
    return made


@pytest.fixture(scope="module")
def server(towns, tokens, tmp_path_factory):
    with serving(towns, tmp_path_factory.mktemp("towns"), workers=1) as base:
        yield base


_serial = itertools.count(1)


def _access_point(jurisdiction: str) -> dict:
    n = next(_serial)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": point_in(jurisdiction, n)},
            "properties": {"ap_id": f"test-{n}", "name": f"AP {n}", "status": "up"}}


GEOJSON = {"Content-Type": "application/geo+json"}


def _post(server, token_: str, feature: dict) -> requests.Response:
    return requests.post(f"{server}/ogc/collections/wifi_access_points/items", data=json.dumps(feature),
                         headers={"Authorization": f"Bearer {token_}", **GEOJSON}, timeout=30)


def _access_points_in(url: str, jurisdiction: str) -> set[str]:
    return {r[0] for r in rows(url, "SELECT ap_id FROM wifi_access_points WHERE jurisdiction_id = %s",
                               (jurisdiction,))}


def _stored(server, tokens, jurisdiction: str) -> str:
    """An access point in ``jurisdiction``, created by the admin; its id."""
    made = _post(server, tokens["admin-all"], _access_point(jurisdiction))
    assert made.status_code == 201, made.text
    return made.headers["Location"].rstrip("/").rsplit("/", 1)[1]


@pytest.mark.parametrize("name", MEMBERS)
@pytest.mark.parametrize("where", SQUARES)
def test_create_holds_in_the_principals_municipalities(server, towns, tokens, name, where):
    feature = _access_point(where)
    answer = _post(server, tokens[name], feature)
    want = expected(name, where)
    if want == 403:
        assert answer.status_code == 403, answer.text
        assert where in answer.json()["description"]  # says which municipality
        assert feature["properties"]["ap_id"] not in _access_points_in(towns, where)
    else:
        assert answer.status_code == 201, answer.text
        assert feature["properties"]["ap_id"] in _access_points_in(towns, where)


@pytest.mark.parametrize("name", MEMBERS)
@pytest.mark.parametrize("where", SQUARES)
def test_replace_and_delete_hold_where_the_feature_is(server, towns, tokens, name, where):
    feature_id = _stored(server, tokens, where)
    item = f"{server}/ogc/collections/wifi_access_points/items/{feature_id}"
    auth = {"Authorization": f"Bearer {tokens[name]}", **GEOJSON}
    before = rows(towns, "SELECT ap_id, status FROM wifi_access_points WHERE id = %s", (feature_id,))
    replacement = _access_point(where)
    replaced = requests.put(item, data=json.dumps(replacement), headers=auth, timeout=30)
    want = expected(name, where)
    if want == 403:
        assert replaced.status_code == 403, replaced.text
        assert where in replaced.json()["description"]
        assert rows(towns, "SELECT ap_id, status FROM wifi_access_points WHERE id = %s",
                    (feature_id,)) == before
        deleted = requests.delete(item, headers=auth, timeout=30)
        assert deleted.status_code == 403, deleted.text
        assert rows(towns, "SELECT count(*) FROM wifi_access_points WHERE id = %s", (feature_id,)) == [(1,)]
    else:
        assert replaced.status_code == 204, replaced.text
        assert rows(towns, "SELECT ap_id FROM wifi_access_points WHERE id = %s",
                    (feature_id,)) == [(replacement["properties"]["ap_id"],)]
        deleted = requests.delete(item, headers=auth, timeout=30)
        assert deleted.status_code == 200, deleted.text  # pygeoapi answers a delete with 200
        assert rows(towns, "SELECT count(*) FROM wifi_access_points WHERE id = %s", (feature_id,)) == [(0,)]


@pytest.mark.parametrize("name", MEMBERS)
def test_moving_a_feature_into_another_municipality_needs_rights_in_both(server, towns, tokens,
                                                                          name):
    feature_id = _stored(server, tokens, "chania")
    moved = _access_point("rethymno")
    answer = requests.put(f"{server}/ogc/collections/wifi_access_points/items/{feature_id}",
                          data=json.dumps(moved),
                          headers={"Authorization": f"Bearer {tokens[name]}", **GEOJSON}, timeout=30)
    place = rows(towns, "SELECT jurisdiction_id FROM wifi_access_points WHERE id = %s", (feature_id,))
    if expected(name, "chania", "rethymno") == 403:
        assert answer.status_code == 403, answer.text
        assert place == [("chania",)]
    else:
        assert answer.status_code == 204, answer.text
        assert place == [("rethymno",)]


def test_account_and_token_name_their_municipalities_when_there_are_several(towns):
    missing = dimos("account", "create", "clerk", "--role", "staff", "--password-stdin",
                    stdin="a long enough password\n", url=towns)
    assert missing.returncode != 0
    assert "--jurisdiction" in missing.stderr and "chania" in missing.stderr
    assert rows(towns, "SELECT count(*) FROM accounts WHERE username = 'clerk'") == [(0,)]
    unknown = dimos("token", "create", "someone", "--role", "staff", "--jurisdiction", "athens",
                    url=towns)
    assert unknown.returncode != 0 and "'athens' unknown" in unknown.stderr
    made = dimos("account", "create", "clerk", "--role", "planner", "--jurisdiction", "chania",
                 "--password-stdin", stdin="a long enough password\n", url=towns)
    assert made.returncode == 0, made.stderr
    assert "of chania" in made.stdout
    assert rows(towns, """SELECT m.jurisdiction_id FROM memberships m JOIN accounts a
                          ON a.id = m.account_id WHERE a.username = 'clerk'""") == [("chania",)]
    gateway = dimos("token", "create", "gw-two", "--role", "gateway", "--jurisdiction", "chania",
                    "--jurisdiction", "rethymno", url=towns)
    assert gateway.returncode != 0 and "one municipality" in gateway.stderr


def test_token_list_shows_each_tokens_municipalities(towns, tokens):
    listed = dimos("token", "list", url=towns)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "chania,rethymno" in lines["staff-both"]
    assert "(all)" in lines["admin-all"]
    assert " chania " in lines["staff-chania"] and "rethymno" not in lines["staff-chania"]


def test_a_signed_in_account_acts_in_its_municipality_only(server, towns):
    made = dimos("account", "create", "clerk-rethymno", "--role", "staff", "--jurisdiction",
                 "rethymno", "--password-stdin", stdin="a long enough password\n", url=towns)
    assert made.returncode == 0, made.stderr
    session = requests.Session()
    signed = session.post(f"{server}/api/session", json={"username": "clerk-rethymno",
                                                         "password": "a long enough password"},
                          timeout=30)
    assert signed.status_code == 200, signed.text
    csrf = {"X-CSRF-Token": signed.json()["csrf_token"], **GEOJSON}
    inside, outside = _access_point("rethymno"), _access_point("chania")
    url = f"{server}/ogc/collections/wifi_access_points/items"
    assert session.post(url, data=json.dumps(inside), headers=csrf, timeout=30).status_code == 201
    refused = session.post(url, data=json.dumps(outside), headers=csrf, timeout=30)
    assert refused.status_code == 403 and "chania" in refused.json()["description"]
    assert outside["properties"]["ap_id"] not in _access_points_in(towns, "chania")


def test_memberships_carry_over_what_there_was(make_database):
    """The migration keeps behaviour: a municipality named stays; none named was every one
    (an admin's: the installation; a gateway's: none, still refused)."""
    url = make_database("dimos_memberships")
    migrate.upgrade(url, "0014")
    _town(url, "rethymno", "Rethymno")
    _town(url, "chania", "Chania")
    conn = db.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO accounts (username, role, password_hash, jurisdiction_id) VALUES
                       ('old-staff', 'staff', 'x', NULL), ('old-admin', 'admin', 'x', NULL),
                       ('old-clerk', 'staff', 'x', 'chania')""")
        cur.execute("""INSERT INTO api_tokens (name, role, token_sha256, jurisdiction_id) VALUES
                       ('t-staff', 'staff', 'a', NULL), ('t-gw', 'gateway', 'b', 'rethymno'),
                       ('t-gw-none', 'gateway', 'c', NULL), ('t-admin', 'admin', 'd', NULL)""")
    conn.close()
    migrate.upgrade(url)
    held = dict(rows(url, """
        SELECT coalesce(a.username, t.name), string_agg(m.jurisdiction_id, ',' ORDER BY m.jurisdiction_id)
        FROM memberships m LEFT JOIN accounts a ON a.id = m.account_id
        LEFT JOIN api_tokens t ON t.id = m.token_id GROUP BY 1"""))
    assert held == {"old-staff": "chania,rethymno", "old-clerk": "chania",
                    "t-staff": "chania,rethymno", "t-gw": "rethymno"}

