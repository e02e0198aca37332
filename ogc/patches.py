"""The changes dimos makes inside pygeoapi where it offers no extension point: one table, checked.

Everything else goes through pygeoapi's own plugin points (providers, process classes, the job
manager class, the templates folder, config keys: ogc/config.py). What is left here replaces
module globals pygeoapi looks up when it answers; ``apply()`` first checks that each one still
exists with the shape dimos expects (a function's parameter names, a list) and fails the start
naming every symbol that does not, so a new pygeoapi cannot change them silently.
"""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

#: the pygeoapi version these patches are written for (pyproject.toml pins its minor version)
EXPECTED_VERSION = "0.24"


class PygeoapiChanged(RuntimeError):
    """pygeoapi no longer has a symbol dimos patches, or it has another shape: no start."""


@dataclass(frozen=True)
class Patch:
    module: str
    name: str
    #: why dimos replaces it (the error message and the reader)
    why: str
    #: a function's parameter names as pygeoapi's stands, or None for a list
    parameters: tuple[str, ...] | None
    #: the replacement, built when applied (so the table imports nothing heavy)
    replacement: Callable[[], object]

    @property
    def symbol(self) -> str:
        return f"{self.module}.{self.name}"

    def problem(self) -> str | None:
        """What is wrong with the symbol in the installed pygeoapi, or None."""
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            return "its module is missing"
        if not hasattr(module, self.name):
            return "missing"
        current = getattr(module, self.name)
        if self.parameters is None:
            return None if isinstance(current, list) else \
                f"a {type(current).__name__}, not a list"
        if not callable(current):
            return f"a {type(current).__name__}, not a function"
        try:
            found = tuple(inspect.signature(current).parameters)
        except (TypeError, ValueError):
            return "a callable without a signature"
        if found != self.parameters:
            return f"takes ({', '.join(found)}), not ({', '.join(self.parameters)})"
        return None


def _conformance():
    from ogc.conformance import CLASSES

    return sorted(CLASSES)


def _filter_text():
    from ogc.filters import parse_filter_parameter

    return parse_filter_parameter


def _filter_json():
    from gis.cql_parse import parse_cql2_json

    return parse_cql2_json


def _bbox():
    from ogc.crs import transform_bbox

    return transform_bbox


_CONFORMANCE = "serve exactly the conformance classes a test exercises (ogc/conformance.py)"

PATCHES = (
    Patch("pygeoapi.api.itemtypes", "parse_cql2_text",
          "CQL2 text with S_DWITHIN, and filter-lang=cql2-json read as JSON (gis/cql_parse.py)",
          ("cql_text",), _filter_text),
    Patch("pygeoapi.api.itemtypes", "parse_cql2_json",
          "CQL2 JSON with s_dwithin, accenti and CQL2's between (gis/cql_parse.py)",
          ("cql",), _filter_json),
    Patch("pygeoapi.api.itemtypes", "transform_bbox",
          "a bbox transformer built once per CRS pair, its edges densified (ogc/crs.py)",
          ("bbox", "from_crs", "to_crs", "always_xy"), _bbox),
    Patch("pygeoapi.api", "CONFORMANCE_CLASSES", _CONFORMANCE, None, _conformance),
    Patch("pygeoapi.api.itemtypes", "CONFORMANCE_CLASSES_FEATURES", _CONFORMANCE, None, list),
    Patch("pygeoapi.api.processes", "CONFORMANCE_CLASSES", _CONFORMANCE, None, list),
    Patch("pygeoapi.api.tiles", "CONFORMANCE_CLASSES", _CONFORMANCE, None, list),
)


def check() -> None:
    """PygeoapiChanged naming each patched symbol that is missing or has another shape."""
    import pygeoapi

    problems = [f"{patch.symbol}: {problem} (dimos patches it to {patch.why}; pygeoapi "
                f"{EXPECTED_VERSION} expected, {pygeoapi.__version__} installed)"
                for patch in PATCHES if (problem := patch.problem()) is not None]
    if problems:
        raise PygeoapiChanged("pygeoapi changed where dimos patches it:\n  "
                              + "\n  ".join(problems))


def apply() -> None:
    """Check every patched symbol, then patch them all (once per process, before pygeoapi's
    blueprint is imported: ogc/mount.py)."""
    check()
    for patch in PATCHES:
        setattr(importlib.import_module(patch.module), patch.name, patch.replacement())
