"""Typed settings, read from the environment once at the edge (CLI, WSGI) and passed in."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis.app_role import APP_ROLE
from gis.roles import PEOPLE

PROJECT_DIR = Path(__file__).resolve().parent.parent


class IdentityProvider(BaseModel):
    """An OpenID Connect provider people sign in with: TAXISnet for citizens, say, and the
    municipality's own SSO for staff. Its role: the one everyone it signs in gets, or the one a
    group in ``role_claim`` maps to (the most powerful when several do)."""

    title: str
    #: the provider's discovery document (…/.well-known/openid-configuration)
    metadata_url: str
    client_id: str
    client_secret: str
    scope: str = "openid profile"
    role: str | None = None
    role_claim: str | None = None
    roles: dict[str, str] = {}
    #: the municipalities the people it signs in belong to (none: the server's only one)
    jurisdictions: list[str] = []

    @field_validator("role")
    @classmethod
    def _person_role(cls, role: str | None) -> str | None:
        # people's roles only: gateways and the payment app hold tokens
        if role is not None and role not in PEOPLE:
            raise ValueError(f"role {role!r}: one of {', '.join(PEOPLE)}")
        return role

    @field_validator("roles")
    @classmethod
    def _person_roles(cls, roles: dict[str, str]) -> dict[str, str]:
        for role in roles.values():
            cls._person_role(role)
        return roles


#: a municipality's id as the jurisdictions table allows it (jurisdictions_id_format)
JURISDICTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: a host name as a Host header carries it, without the port
HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class MunicipalityBranding(BaseModel):
    """How the map shows one municipality: its title, its logo, the host names that open it,
    and where the map opens when its most populous settlement is not the place."""

    model_config = ConfigDict(extra="forbid")

    #: the map's title in Greek and English (unset: the municipality's name)
    title_el: str | None = Field(default=None, max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    #: a path this server serves (/assets/…, /vendor/…): the page loads nothing from elsewhere
    logo: str | None = None
    #: host names (no port) whose requests open this municipality: dimos.chania.gr, say
    hosts: list[str] = []
    #: [lat, lon] (WGS 84) the map opens at, and its zoom
    centre: tuple[float, float] | None = None
    zoom: int | None = Field(default=None, ge=1, le=20)

    @field_validator("logo")
    @classmethod
    def _served_here(cls, logo: str | None) -> str | None:
        if logo is None:
            return None
        parts = urlsplit(logo)
        if (parts.scheme or parts.netloc or not logo.startswith("/") or logo.startswith("//")
                or "\\" in logo or ".." in logo.split("/")):
            raise ValueError(f"logo {logo[:80]!r}: a path served by dimos (/assets/…), "
                             "not an address elsewhere")
        return logo

    @field_validator("hosts")
    @classmethod
    def _host_names(cls, hosts: list[str]) -> list[str]:
        names = [h.strip().lower().rstrip(".") for h in hosts]
        for name in names:
            if not HOST_NAME.match(name):
                raise ValueError(f"hosts: {name[:80]!r} is not a host name (no scheme, no port)")
        return names

    @field_validator("centre")
    @classmethod
    def _lat_lon(cls, centre: tuple[float, float] | None) -> tuple[float, float] | None:
        if centre is not None and not (-90 <= centre[0] <= 90 and -180 <= centre[1] <= 180):
            raise ValueError("centre: [lat, lon] within -90…90, -180…180 degrees")
        return centre


INGEST_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"


class Settings(BaseSettings):
    """Where the database is and how the server runs.

    With no ``DATABASE_URL``, dimos runs its own PostgreSQL cluster in ``state_dir/pg``
    listening on 127.0.0.1:``pg_port``.
    """

    model_config = SettingsConfigDict(env_prefix="DIMOS_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    #: what the web app and the sensor ingest connect with: a role subject to row-level
    #: security (migration 0016). Unset: the database URL as role dimos_app, no password (the
    #: project's own cluster trusts 127.0.0.1; another server needs the role's password here)
    app_database_url: str | None = None
    #: read replicas the web app reads from (comma-separated URLs, as the app's role): reads go
    #: to one that has replayed the client's last write, else to the primary
    database_replica_urls: str | None = Field(default=None,
                                              validation_alias="DATABASE_REPLICA_URLS")
    #: `dimos cluster up`: the first of the 50 ports its members listen on
    cluster_port_base: int = Field(default=5600, ge=1024, le=65485)
    state_dir: Path = PROJECT_DIR / ".dimos"
    pg_port: int = Field(default=5439, ge=1024, le=65535)
    pg_database: str = "dimos"
    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=1, le=65535)
    workers: int = Field(default=4, ge=1, le=64)
    #: per-worker memory for rendered vector tiles (0 turns the cache off, e.g. to benchmark)
    tile_cache_mb: int = Field(default=64, ge=0, le=4096)
    #: numberMatched is counted for an items query expected to match at most this many
    #: features (0: only for resulttype=hits)
    count_limit: int = Field(default=100_000, ge=0)
    #: public POSTs per client address and minute (0: no limit); signed-in staff are not limited
    rate_limit_reports_per_min: int = Field(default=10, ge=0)
    rate_limit_processes_per_min: int = Field(default=120, ge=0)
    rate_limit_signin_per_min: int = Field(default=10, ge=0)
    #: SMTP relay for citizens' notifications (``dimos notify send``)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    mail_from: str = "noreply@example.gr"
    #: MQTT broker of the sensors (mqtt://host:port); unset: the project's own Mosquitto
    mqtt_url: str | None = Field(default=None, validation_alias="MQTT_URL")
    mqtt_port: int = Field(default=1884, ge=1024, le=65535)
    #: a sensor silent this long turns its bay/car park/AP to "unknown"
    sensor_silent_after_s: int = Field(default=1800, ge=10)
    #: battery below this share is flagged for maintenance
    sensor_battery_low_pct: float = Field(default=20, ge=0, le=100)
    #: readings stamped further ahead than this are refused (clock trouble on the device)
    sensor_max_future_s: int = Field(default=300, ge=0)
    #: months of raw readings kept (hourly aggregates are kept for good)
    sensor_retention_months: int = Field(default=24, ge=1)
    #: the ingest worker runs beside `dimos serve`; the simulator too when asked (demo)
    sensors_ingest: bool = True
    sensors_simulate: bool = False
    #: this ingest worker's name when several share the readings (each its own, kept across
    #: restarts: it names the broker session holding what the worker has not acknowledged yet)
    sensors_ingest_name: str | None = Field(default=None, pattern=INGEST_NAME_PATTERN)
    #: the relay publishing feature changes as CloudEvents runs beside `dimos serve`
    changes_relay: bool = True
    #: largest file staff may upload to /api/imports (bigger imports: `dimos import`)
    import_max_mb: int = Field(default=25, ge=1, le=30)
    #: what one zip may unpack to (a zip bomb is refused before a byte is written): its total
    #: size, its number of members, and the ratio of a member's size to its packed size
    import_max_unpacked_mb: int = Field(default=1024, ge=1)
    import_max_members: int = Field(default=1000, ge=1)
    import_max_ratio: int = Field(default=250, ge=1)
    #: threads per web worker: live map streams (SSE) hold one each
    threads: int = Field(default=16, ge=1, le=256)
    #: signs session cookies; unset: one is made once in the database (shared_secrets), for every node
    secret_key: str | None = None
    #: single sign-on providers by name, as JSON (DIMOS_IDENTITY_PROVIDERS; see README)
    identity_providers: dict[str, IdentityProvider] = {}
    #: the address clients reach dimos at: the base of every absolute link (OGC documents,
    #: Open311 media_url, the sign-on callback); default http://host:port. A request's Host
    #: header is never echoed into a link
    public_url: str | None = None
    #: reverse proxies in front of dimos (0: none, clients connect directly). With N, the
    #: last N entries of X-Forwarded-For/-Proto/-Host/-Port are believed: the client's address
    #: (rate limits), scheme and host come from the proxies, not from the client
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    #: npm packages (package.json) served under /vendor: Leaflet and the API pages' assets
    assets_dir: Path = PROJECT_DIR / "node_modules"
    #: raster basemap of the map pages: the only address outside dimos a browser is sent to
    basemap_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: the map's branding per municipality id, as JSON (DIMOS_MUNICIPALITIES; see README)
    municipalities: dict[str, MunicipalityBranding] = {}
    #: the municipality a request naming none (and no host of DIMOS_MUNICIPALITIES) is about
    default_jurisdiction: str | None = None

    @model_validator(mode="after")
    def _empty_url_is_none(self) -> "Settings":
        if self.database_url is not None and not self.database_url.strip():
            self.database_url = None
        if self.app_database_url is not None and not self.app_database_url.strip():
            self.app_database_url = None
        return self

    @model_validator(mode="after")
    def _municipality_ids(self) -> "Settings":
        named = [*self.municipalities, *([self.default_jurisdiction] if self.default_jurisdiction else [])]
        for jurisdiction in named:
            if not JURISDICTION_ID.match(jurisdiction):
                raise ValueError(f"DIMOS_MUNICIPALITIES / DIMOS_DEFAULT_JURISDICTION: "
                                 f"{jurisdiction[:40]!r} is not a municipality id (a-z, 0-9, _)")
        seen: dict[str, str] = {}
        for jurisdiction, branding in self.municipalities.items():
            for host in branding.hosts:
                if seen.setdefault(host, jurisdiction) != jurisdiction:
                    raise ValueError(f"DIMOS_MUNICIPALITIES: host {host!r} opens both "
                                     f"{seen[host]} and {jurisdiction}")
        return self

    def unknown_municipalities(self, known: list[str]) -> list[str]:
        """Settings naming a municipality the database does not hold, each as ``SETTING: id``
        (checked when the server starts: a typo would otherwise brand nothing, silently)."""
        wrong = [f"DIMOS_MUNICIPALITIES: {j}" for j in self.municipalities if j not in known]
        if self.default_jurisdiction and self.default_jurisdiction not in known:
            wrong.append(f"DIMOS_DEFAULT_JURISDICTION: {self.default_jurisdiction}")
        return wrong

    def municipality_of_host(self, host: str) -> str | None:
        """The municipality whose ``hosts`` include ``host`` (a Host header, port and all)."""
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip().lower().rstrip(".")
        for jurisdiction, branding in self.municipalities.items():
            if name in branding.hosts:
                return jurisdiction
        return None

    @property
    def uses_local_cluster(self) -> bool:
        return self.database_url is None

    def local_url(self, database: str | None = None) -> str:
        """The URL of a database in the project-local cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/{database or self.pg_database}"

    @property
    def uses_local_broker(self) -> bool:
        return not (self.mqtt_url or "").strip()

    @property
    def mqtt_address(self) -> tuple[str, int]:
        """(host, port) of the sensors' broker."""
        if self.uses_local_broker:
            return "127.0.0.1", self.mqtt_port
        parsed = urlsplit(self.mqtt_url.strip())
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"MQTT_URL: {self.mqtt_url!r} is not mqtt://host[:port]")
        return parsed.hostname, parsed.port or 1883

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def replica_urls(self) -> tuple[str, ...]:
        """The read replicas' URLs, in the order given (none: every read goes to the primary)."""
        return tuple(u.strip() for u in (self.database_replica_urls or "").split(",")
                     if u.strip())

    @property
    def effective_database_url(self) -> str:
        """The database dimos works on: ``DATABASE_URL`` if set, else the local cluster's."""
        return self.database_url or self.local_url()

    @property
    def effective_app_database_url(self) -> str:
        """The database as the web app and the ingest reach it: ``DIMOS_APP_DATABASE_URL`` if
        set, else the database URL with role dimos_app and no password. Migrations, the demo
        loader and the CLI keep the owner's (``effective_database_url``)."""
        if self.app_database_url:
            return self.app_database_url
        parts = urlsplit(self.effective_database_url)
        host = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=f"{APP_ROLE}@{host}").geturl()
