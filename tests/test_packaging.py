"""The container files, read as Docker would (there is no Docker engine here to build them):
the app image copies every package pyproject.toml installs, and compose's web app connects as
the role row-level security confines, with the password the database image gives it."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from gis.app_role import APP_ROLE

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_image_copies_every_installed_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    installed = {name.rstrip("*") for name in
                 project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert installed - copied == set(), "Dockerfile does not COPY these packages"
    assert all((ROOT / name / "__init__.py").exists() for name in installed)


def test_the_app_image_installs_what_the_planning_certificate_needs():
    """WeasyPrint's Pango and the font web_map/certificate.py reads, as the machine's script
    installs them (scripts/install-system-packages)."""
    from web_map.certificate import FONT_DIR, FONTS

    dockerfile = (ROOT / "Dockerfile").read_text()
    script = (ROOT / "scripts" / "install-system-packages").read_text()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"):
        assert package in dockerfile and package in script, package
    assert str(FONT_DIR) == "/usr/share/fonts/truetype/dejavu"  # where fonts-dejavu-core puts
    assert all((FONT_DIR / name).is_file() for name in FONTS.values())


def test_compose_connects_the_app_as_the_confined_role_the_database_image_creates():
    app = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["app"]["environment"]
    owner, confined = urlsplit(app["DATABASE_URL"]), urlsplit(app["DIMOS_APP_DATABASE_URL"])
    assert confined.username == APP_ROLE != owner.username
    assert (confined.hostname, confined.port, confined.path) == (
        owner.hostname, owner.port, owner.path)
    scripts = " ".join(p.read_text() for p in (ROOT / "docker/db/initdb").glob("*.sql"))
    assert re.search(rf"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{confined.password}' "
                     r"NOSUPERUSER NOBYPASSRLS", scripts)
    assert "COPY initdb/ /docker-entrypoint-initdb.d/" in (ROOT / "docker/db/Dockerfile").read_text()
