"""pygeoapi's HTML templates made to work offline and under dimos' Content-Security-Policy:
CDN assets point at dimos' own /vendor, every ``<script>`` carries a nonce marker (each response
replaces it with its own nonce, dimos/security_headers.py), and inline event handlers
(``onclick="…"``) become listeners added by such a script.

pygeoapi searches a configured template folder before its own, so only the templates that
need a change are rewritten there, from pygeoapi's originals, at start-up.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

import pygeoapi

from ogc.choice_titles import with_choice_titles
from ogc.paging import next_button_with_a_cursor_only

#: npm packages dimos installs (package.json) and serves under /vendor/<package>/...
VENDORED = ("leaflet", "swagger-ui-dist", "bootstrap")

_ASSET = re.compile(r"https://[a-z0-9.-]+/(?P<package>" + "|".join(map(re.escape, VENDORED))
                    + r")(?:@[^/\"']*)?/(?P<path>[^\"'\s]*)")
# anything else a template loads from outside (IE shims, web fonts, other viewers): dropped
_EXTERNAL_TAG = re.compile(r"<(script|link)\b[^>]*(src|href)=\"https?://[^\"]*\"[^>]*>(\s*</script>)?")
_SOURCE = Path(pygeoapi.__file__).parent / "templates"
_SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\bnonce=)")
# a tag with inline event handlers (the attribute values of pygeoapi's hold no '>' or '"')
_HANDLED_TAG = re.compile(r"<(?P<name>[a-z]+)\b(?P<attributes>[^>]*\son[a-z]+=\"[^\"]*\"[^>]*)>")
_HANDLER = re.compile(r"\son(?P<event>[a-z]+)=\"(?P<code>[^\"]*)\"")
_VOID = frozenset({"input", "img", "br", "hr", "meta", "link", "area", "source"})


#: the placeholder the templates carry where each response's nonce goes: random, so no value
#: shown in a page can guess it; made once per process, which writes its own templates folder
#: (ogc/config.py), so it needs nothing shared, not even the database
CSP_MARKER = "dimos-csp-" + secrets.token_hex(16)


def _listeners(text: str, marker: str) -> str:
    """Inline event handlers (blocked by a CSP without 'unsafe-inline') as listeners a nonced
    script adds to the element just before it."""
    out, position = [], 0
    for tag in _HANDLED_TAG.finditer(text):
        name = tag["name"]
        handlers = _HANDLER.findall(tag["attributes"])
        bare = f"<{name}{_HANDLER.sub('', tag['attributes'])}>"
        end = tag.end() if name in _VOID else text.index(f"</{name}>", tag.end()) + len(
            f"</{name}>")
        listen = "".join(f"element.addEventListener({event!r}, function (event) {{ {code} }});"
                         for event, code in handlers)
        out += [text[position:tag.start()], bare, text[tag.end():end],
                f'<script nonce="{marker}">(function (element) {{ {listen} }})'
                "(document.currentScript.previousElementSibling);</script>"]
        position = end
    return "".join(out) + text[position:]


def offline(text: str, marker: str | None = None) -> str:
    """A template's text with vendored assets local and other external assets removed; with a
    nonce ``marker``, its scripts nonced and its inline handlers made listeners."""
    text = _ASSET.sub(lambda m: f"/vendor/{m['package']}/{m['path']}", text)
    text = _EXTERNAL_TAG.sub("", text)
    if marker:
        text = _SCRIPT_TAG.sub(f'<script nonce="{marker}"', _listeners(text, marker))
    return text


def write_offline_templates(target: Path, marker: str | None = None) -> list[Path]:
    """Write offline (and, with a nonce ``marker``, CSP-ready) copies of every pygeoapi
    template that needs either, the item pages showing choices by their titles and the items
    page no "Next" after the last page."""
    written = []
    for source in sorted(_SOURCE.rglob("*.html")):
        text = source.read_text(encoding="utf-8")
        name = source.relative_to(_SOURCE).as_posix()
        rewritten = next_button_with_a_cursor_only(
            name, with_choice_titles(name, offline(text, marker)))
        if rewritten != text:
            path = target / source.relative_to(_SOURCE)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rewritten, encoding="utf-8")
            written.append(path)
    return written

