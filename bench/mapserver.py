"""MapServer 8.0 from Debian as a benchmark peer: 2 FastCGI `mapserv` processes, spawned and
watched by lighttpd, serving the permits from bench/mapserver.map.

Items: ``/ogcapi/collections/building_permits/items``; tiles: ``/tiles/{z}/{x}/{y}.mvt``,
rewritten by lighttpd to MapServer's CGI tile mode. Debian's 8.0.0 ignores ``offset`` (fixed
in 8.0.1), so it is not asked for deep pages nor full copies (bench/README.md).
"""
from __future__ import annotations

from pathlib import Path

import psycopg2
from sqlalchemy.engine import make_url

from bench.servers import WORKERS, Server, free_port, start_process

MAPFILE = Path(__file__).resolve().with_name("mapserver.map")
MAPSERV = "/usr/lib/cgi-bin/mapserv"
LIGHTTPD_BIN = "/usr/sbin/lighttpd"
EXTENT_SQL = ("SELECT floor(ST_XMin(e)), floor(ST_YMin(e)), ceil(ST_XMax(e)), ceil(ST_YMax(e)) "
              "FROM (SELECT ST_Extent(geom_mercator) AS e FROM building_permits) AS extent")

CONFIG = """CONFIG
  ENV
    MS_MAP_PATTERN "^{folder}/"
    MS_ERRORFILE "{folder}/mapserver.log"
  END
  MAPS
    building_permits "{mapfile}"
  END
END
"""

LIGHTTPD = """server.modules = ( "mod_rewrite", "mod_fastcgi" )
server.bind = "127.0.0.1"
server.port = {port}
server.document-root = "{folder}"
server.errorlog = "{folder}/lighttpd-error.log"
server.max-connections = 256
url.rewrite-once = (
  "^/ogcapi/(.*)$" => "/mapserv/building_permits/ogcapi/$1",
  "^/tiles/([0-9]+)/([0-9]+)/([0-9]+)\\.mvt$" =>
    "/mapserv?map=building_permits&mode=tile&tilemode=gmap&tile=$2+$3+$1&layers=building_permits&map.imagetype=mvt"
)
# lighttpd spawns and watches the mapserv processes itself (what spawn-fcgi would do)
fastcgi.server = ( "/mapserv" => ( "mapserv" => (
  "socket" => "{folder}/mapserv.sock", "bin-path" => "{mapserv}", "max-procs" => {processes},
  "bin-environment" => ( "MAPSERVER_CONFIG_FILE" => "{folder}/mapserver.conf" ),
  "check-local" => "disable", "fix-root-scriptname" => "disable"
) ) )
"""


def _conninfo(database_url: str) -> str:
    """libpq's key=value form of the URL, as a mapfile CONNECTION takes it."""
    url = make_url(database_url)
    parts = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username,
             "password": url.password, "application_name": "mapserver"}
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


def _extent(database_url: str) -> str:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(EXTENT_SQL)
            return " ".join(f"{value:.0f}" for value in cur.fetchone())
    finally:
        conn.close()


def start_mapserver(database_url: str, folder: Path, name: str = "mapserver") -> Server:
    """MapServer on a free port; lighttpd's FastCGI children are in its process group, so
    bench.servers.stop ends them all."""
    home = folder / name
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    mapfile = home / "building_permits.map"
    mapfile.write_text(MAPFILE.read_text()
                       .replace("{extent}", _extent(database_url))
                       .replace("{connection}", _conninfo(database_url))
                       .replace("{onlineresource}", f"http://127.0.0.1:{port}/ogcapi"))
    (home / "mapserver.conf").write_text(CONFIG.format(folder=home, mapfile=mapfile))
    (home / "lighttpd.conf").write_text(LIGHTTPD.format(folder=home, port=port, mapserv=MAPSERV,
                                                        processes=WORKERS))
    return start_process(name, [LIGHTTPD_BIN, "-D", "-f", str(home / "lighttpd.conf")], {},
                         "/ogcapi/collections/building_permits/items?f=json&limit=1", port,
                         folder)
