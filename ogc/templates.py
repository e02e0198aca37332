"""pygeoapi's HTML templates made to work offline: CDN assets point at dimos' own /vendor.

pygeoapi searches a configured template folder before its own, so only the templates that
reference a CDN are rewritten there, from pygeoapi's originals, at start-up.
"""
from __future__ import annotations

import re
from pathlib import Path

import pygeoapi

#: npm packages dimos installs (package.json) and serves under /vendor/<package>/...
VENDORED = ("leaflet", "swagger-ui-dist", "bootstrap")

_ASSET = re.compile(r"https://[a-z0-9.-]+/(?P<package>" + "|".join(map(re.escape, VENDORED))
                    + r")(?:@[^/\"']*)?/(?P<path>[^\"'\s]*)")
# anything else a template loads from outside (IE shims, web fonts, other viewers): dropped
_EXTERNAL_TAG = re.compile(r"<(script|link)\b[^>]*(src|href)=\"https?://[^\"]*\"[^>]*>(\s*</script>)?")
_SOURCE = Path(pygeoapi.__file__).parent / "templates"


def offline(text: str) -> str:
    """A template's text with vendored assets local and other external assets removed."""
    text = _ASSET.sub(lambda m: f"/vendor/{m['package']}/{m['path']}", text)
    return _EXTERNAL_TAG.sub("", text)


def write_offline_templates(target: Path) -> list[Path]:
    """Write offline copies of every pygeoapi template that loads assets from outside."""
    written = []
    for source in sorted(_SOURCE.rglob("*.html")):
        text = source.read_text(encoding="utf-8")
        rewritten = offline(text)
        if rewritten != text:
            path = target / source.relative_to(_SOURCE)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rewritten, encoding="utf-8")
            written.append(path)
    return written


def use_offline_templates_everywhere(module) -> None:
    """pygeoapi's tile matrix set pages pass the whole configuration where the template
    configuration belongs, so they fall back to the CDN-bound stock templates; give them ours."""
    from pygeoapi.util import render_j2_template

    def render(config, tpl_config, template, data, locale_=None):
        if "server" in tpl_config:
            tpl_config = tpl_config["server"].get("templates", {})
        return render_j2_template(config, tpl_config, template, data, locale_)

    module.render_j2_template = render
