"""Which municipality the map shows (asked, by host name, by setting, or the first) and what
the map needs to show it: names, centre, extent, services, routing, branding."""
from __future__ import annotations

from gis import service_requests as sr
from gis.errors import InvalidParameter, NotFound
from gis.jurisdictions import jurisdiction_ids, municipality
from settings import JURISDICTION_ID, MunicipalityBranding, Settings

#: where the map opens on a municipality with no zoom of its own (a town, street by street)
DEFAULT_ZOOM = 15
#: how much of a value an error message echoes
ECHO = 40


def chosen_jurisdiction(cur, settings: Settings, asked: str | None, host: str) -> str | None:
    """The municipality ``asked`` for (400 if it cannot be an id, 404 if there is no such);
    else the one ``host`` opens, else DIMOS_DEFAULT_JURISDICTION, else the first (None: the
    database holds none yet)."""
    known = jurisdiction_ids(cur)
    if asked is not None:
        if not JURISDICTION_ID.match(asked):
            raise InvalidParameter(f"jurisdiction: {asked[:ECHO]!r} is not a municipality id "
                                   "(a-z, 0-9, _)")
        if asked not in known:
            raise NotFound(f"jurisdiction: no municipality {asked[:ECHO]!r}; this server holds "
                           f"{', '.join(known) or 'no municipality yet'}")
        return asked
    for candidate in (settings.municipality_of_host(host), settings.default_jurisdiction):
        if candidate in known:
            return candidate
    return known[0] if known else None


def municipality_config(cur, settings: Settings, jurisdiction: str) -> dict:
    """What the map shows of one municipality: its names, branding (title, logo), centre
    ([lat, lon]) and zoom, extent (CRS84 bbox of its boundary), services and which department
    handles them."""
    found = municipality(cur, jurisdiction)
    branding = settings.municipalities.get(jurisdiction) or MunicipalityBranding()
    return {
        "id": jurisdiction, "name_el": found["name_el"], "name_en": found["name_en"],
        # unset: the map titles itself with the municipality's name
        "branding": {"title_el": branding.title_el, "title_en": branding.title_en,
                     "logo": branding.logo},
        "centre": list(branding.centre) if branding.centre else found["centre"],
        "zoom": branding.zoom or DEFAULT_ZOOM,
        "extent": found["extent"],
        "services": [{"service_code": s["service_code"], "service_name": s["name_el"],
                      "service_name_en": s["name_en"], "group": s["group_name"]}
                     for s in sr.services(cur, jurisdiction)],
        "routing": sr.routing(cur, jurisdiction),
    }
