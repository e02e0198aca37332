"""SQL lives in the spatial core (gis/) and the accounts' store (accounts/): nowhere else does a
string hold SQL or a cursor run a statement (CONTRIBUTING.md, "Where things live")."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the packages that own tables and so hold SQL
SQL_PACKAGES = {"gis", "accounts"}
PRODUCT_PACKAGES = ["dimos", "web_map", "web_common", "ogc", "importers", "mail", "mqtt", "photos",
                    "servers", "settings", "vrp", "layers", "accounts", "gis"]
SQL_TEXT = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bSELECT\s+(1|set_config|pg_\w+)\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|DATABASE|VIEW|FUNCTION)\b"
    r"|\bTRUNCATE\b|\bLISTEN\s+\w|\bSAVEPOINT\b|\bWITH\s+\w+\s+AS\s*\(", re.S)


def sql_outside_the_core(packages: list[str]) -> list[str]:
    """``path:line: what`` for every SQL string and every ``.execute(`` call in ``packages``."""
    found = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                          if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                               ast.AsyncFunctionDef))
                          and node.body and isinstance(node.body[0], ast.Expr)}
            where = path.relative_to(ROOT)
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                        and id(node) not in docstrings and SQL_TEXT.search(node.value)):
                    found.append(f"{where}:{node.lineno}: SQL text {node.value.strip()[:50]!r}")
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("execute", "executemany", "copy_expert")):
                    found.append(f"{where}:{node.lineno}: runs a statement (.{node.func.attr})")
    return found


def test_no_sql_outside_gis_and_accounts():
    elsewhere = [p for p in PRODUCT_PACKAGES if p not in SQL_PACKAGES]
    assert sql_outside_the_core(elsewhere) == []


def test_the_finder_finds_sql_where_it_is():
    # the same finder, on the packages that do hold SQL, finds it: it is not blind
    found = sql_outside_the_core(["gis"])
    assert any("gis/tiles.py" in line and "SQL text" in line for line in found)
    assert any("gis/db.py" in line and ".execute" in line for line in found)
