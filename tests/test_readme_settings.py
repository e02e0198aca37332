"""The settings README.md names are the ones dimos reads, with the defaults it states: read from
the README itself, so the two cannot drift apart."""
from __future__ import annotations

import re
from pathlib import Path

from settings import PROJECT_DIR, Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
#: `DIMOS_X` (N …) or `DIMOS_X`, N: the number the README gives as the default
STATED_DEFAULT = re.compile(r"`(DIMOS_[A-Z0-9_]+)`(?: \(|, )(\d+)\b")
#: named in the README but read by the Makefile, not by dimos
MAKEFILE_ONLY = {"DIMOS_PYTHON"}
#: the number stated is not the default but what `make run` sets
NOT_A_DEFAULT = {"DIMOS_SENSORS_SIMULATE"}


def _field(name: str) -> str:
    return name.removeprefix("DIMOS_").lower()


def test_every_setting_the_readme_names_is_one_dimos_reads():
    named = set(re.findall(r"\bDIMOS_[A-Z0-9_]*[A-Z0-9]\b", README)) - MAKEFILE_ONLY
    assert len(named) >= 25, named  # the settings paragraph, the imports section, the rest
    unknown = {name for name in named if _field(name) not in Settings.model_fields}
    assert not unknown, f"README names settings dimos does not read: {sorted(unknown)}"


def test_the_defaults_the_readme_states_are_the_defaults():
    stated = {name: int(value) for name, value in STATED_DEFAULT.findall(README)
              if name not in NOT_A_DEFAULT}
    assert {"DIMOS_PG_PORT", "DIMOS_PORT", "DIMOS_WORKERS", "DIMOS_TILE_CACHE_MB",
            "DIMOS_RATE_LIMIT_REPORTS_PER_MIN", "DIMOS_RATE_LIMIT_PROCESSES_PER_MIN",
            "DIMOS_RATE_LIMIT_SIGNIN_PER_MIN", "DIMOS_MQTT_PORT", "DIMOS_SENSOR_SILENT_AFTER_S",
            "DIMOS_SENSOR_BATTERY_LOW_PCT", "DIMOS_SENSOR_MAX_FUTURE_S",
            "DIMOS_SENSOR_RETENTION_MONTHS", "DIMOS_THREADS", "DIMOS_IMPORT_MAX_MB",
            "DIMOS_IMPORT_MAX_UNPACKED_MB", "DIMOS_IMPORT_MAX_MEMBERS",
            "DIMOS_IMPORT_MAX_RATIO", "DIMOS_SENSORS_INGEST"} <= set(stated), stated
    default = {name: Settings.model_fields[_field(name)].default for name in stated}
    wrong = {name: (value, default[name]) for name, value in stated.items()
             if default[name] != value}
    assert not wrong, f"README default ≠ dimos default (README, dimos): {wrong}"
    assert "`DIMOS_STATE_DIR` (`.dimos`)" in README
    assert Settings.model_fields["state_dir"].default == PROJECT_DIR / ".dimos"

